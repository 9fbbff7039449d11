-- Documents of the day's snapshot whose doc id or URL is also in another day's snapshot.
-- Bounded by the day, not by history's strings: history is probed through snapshot_keys (two 64-bit md5 keys a
-- row: a scan of integers), and only the few rows whose key matches are read back from snapshot_documents and
-- compared exactly (a key collision can only add a candidate, never lose a match). Combined per matching pair
-- (the other row's doc id is kept until the UNION, so a pair that matches on both doc id and URL counts once,
-- exactly like the former `doc_id = … OR url = …` join).
WITH today AS (
    SELECT doc_id, url, md5_number_lower(doc_id) AS doc_key, md5_number_lower(url) AS url_key
    FROM snapshot_documents WHERE snapshot_date = $day
), hits AS (  -- other days with a matching key (two hash joins on integers)
    SELECT k.snapshot_date FROM snapshot_keys k JOIN today t ON k.doc_key = t.doc_key WHERE k.snapshot_date <> $day
    UNION
    SELECT k.snapshot_date FROM snapshot_keys k JOIN today t ON k.url_key = t.url_key WHERE k.snapshot_date <> $day
), others AS (  -- only those days' rows: the join's min/max date filter skips every other row group
    SELECT o.snapshot_date, o.doc_id, o.url
    FROM snapshot_documents o
    WHERE o.snapshot_date IN (SELECT snapshot_date FROM hits UNION ALL SELECT $day::DATE)  -- never an empty build
      AND o.snapshot_date <> $day
), pairs AS (
    SELECT t.doc_id, t.url, o.snapshot_date AS other_date, o.doc_id AS other_doc_id
    FROM today t JOIN others o ON o.doc_id = t.doc_id
    UNION
    SELECT t.doc_id, t.url, o.snapshot_date, o.doc_id
    FROM today t JOIN others o ON o.url = t.url
)
SELECT doc_id, url, other_date FROM pairs
LIMIT 20;
