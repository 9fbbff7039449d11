-- The day's kept documents in the order that decides "earlier" within a day (as dedup: fetched_at, url).
SELECT d.doc_id, d.title, d.url, q.topic
FROM quality_results q
JOIN documents d ON d.partition_date = q.partition_date AND d.doc_id = q.doc_id
WHERE q.partition_date = $day AND q.kept
ORDER BY d.fetched_at, d.url;
