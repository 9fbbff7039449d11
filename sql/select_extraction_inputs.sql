-- The day's fetched documents with their archived bodies' locations (and the length and sha256 the body must
-- have when read back), in a deterministic order.
SELECT f.url, f.final_url, f.source, f.fetched_at, f.encoding, f.content_type, f.warc_file, f.warc_offset,
       d.published_at, f.content_hash, f.body_bytes
FROM fetch_log f
JOIN discovered_urls d ON d.partition_date = f.partition_date AND d.url = f.url
WHERE f.partition_date = $day AND f.stage = 'fetch' AND f.kind = 'document' AND f.state = 'fetched'
ORDER BY f.fetched_at, f.url;
