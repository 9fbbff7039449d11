-- The day's documents in the deterministic order that decides "earliest" within a day; texts from the day's
-- extracted texts file ($texts, freshdata.texts).
SELECT d.doc_id, t.text, d.fetched_at, d.url
FROM documents d JOIN read_parquet($texts) t ON t.doc_id = d.doc_id
WHERE d.partition_date = $day
ORDER BY d.fetched_at, d.url;
