-- Documents of the day's snapshot whose doc id or URL is also in another day's snapshot.
-- Bounded by the day, not by history's strings: history is probed through snapshot_keys (two 64-bit md5 keys a
-- row: a scan of integers), and only the few rows whose key matches are read back from snapshot_documents and
-- compared exactly (a key collision can only add a candidate, never lose a match). Combined per matching pair
-- (the other row's doc id is kept until the UNION, so a pair that matches on both doc id and URL counts once,
-- exactly like the former `doc_id = … OR url = …` join).
WITH today AS (
    SELECT doc_id, url, md5_number_lower(doc_id) AS doc_key, md5_number_lower(url) AS url_key
    FROM snapshot_documents WHERE snapshot_date = $day
), hits AS (
    SELECT DISTINCT snapshot_date FROM snapshot_keys
    WHERE snapshot_date <> $day
      AND (doc_key IN (SELECT doc_key FROM today) OR url_key IN (SELECT url_key FROM today))
), others AS (
    SELECT o.snapshot_date, o.doc_id, o.url
    FROM snapshot_documents o
    WHERE o.snapshot_date IN (SELECT snapshot_date FROM hits)
), pairs AS (
    SELECT t.doc_id, t.url, o.snapshot_date AS other_date, o.doc_id AS other_doc_id
    FROM today t JOIN others o ON o.doc_id = t.doc_id
    UNION
    SELECT t.doc_id, t.url, o.snapshot_date, o.doc_id
    FROM today t JOIN others o ON o.url = t.url
)
SELECT doc_id, url, other_date FROM pairs
LIMIT 20;
