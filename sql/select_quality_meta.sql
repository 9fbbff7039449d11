-- The day's fresh documents (dedup said nothing earlier says the same thing) in the day's order, without
-- texts: the quality stage reads those from the day's extracted texts file in batches (freshdata.quality.day).
SELECT d.doc_id, d.url, d.source, d.published_at, d.fetched_at, map_entries(d.source_tags) AS source_tags
FROM documents d
JOIN dedup_decisions x ON x.partition_date = d.partition_date AND x.doc_id = d.doc_id
WHERE d.partition_date = $day AND x.status = 'fresh'
ORDER BY d.fetched_at, d.url;
