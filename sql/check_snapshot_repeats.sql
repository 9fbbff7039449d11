-- Documents of the day's snapshot whose doc id or URL is also in another day's snapshot.
-- Two equi-joins (hash joins: cost ~ the day's rows + one scan of two key columns, never today × history),
-- combined per matching pair (the other row's key is kept until the UNION, so a pair that matches on both
-- doc id and URL counts once, exactly like the former `doc_id = … OR url = …` join).
WITH today AS (
    SELECT doc_id, url FROM snapshot_documents WHERE snapshot_date = $day
), pairs AS (
    SELECT t.doc_id, t.url, o.snapshot_date AS other_date, o.doc_id AS other_doc_id
    FROM today t JOIN snapshot_documents o ON o.doc_id = t.doc_id
    WHERE o.snapshot_date <> $day
    UNION
    SELECT t.doc_id, t.url, o.snapshot_date, o.doc_id
    FROM today t JOIN snapshot_documents o ON o.url = t.url
    WHERE o.snapshot_date <> $day
)
SELECT doc_id, url, other_date FROM pairs
LIMIT 20;
