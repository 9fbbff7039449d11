-- The day's fresh documents (dedup said nothing earlier says the same thing), texts from the day's extracted
-- texts file ($texts).
SELECT d.doc_id, d.url, d.source, t.text, d.published_at, d.fetched_at, map_entries(d.source_tags) AS source_tags
FROM documents d
JOIN dedup_decisions x ON x.partition_date = d.partition_date AND x.doc_id = d.doc_id
JOIN read_parquet($texts) t ON t.doc_id = d.doc_id
WHERE d.partition_date = $day AND x.status = 'fresh'
ORDER BY d.fetched_at, d.url;
