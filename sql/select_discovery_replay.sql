-- Source fetches a round of the day already archived: a re-run parses these instead of going back to the network.
-- robots.txt rows come back whatever their state, so a replay keeps the day's record of them.
SELECT source, kind, url, final_url, state, reason, detail, http_status, content_type, encoding, etag,
       last_modified, fetched_at, elapsed_s, body_bytes, content_hash, warc_file, warc_offset
FROM fetch_log
WHERE partition_date = $day AND hour IS NOT DISTINCT FROM $hour AND stage = 'discovery' AND (state IN ('fetched', 'not_modified') OR kind = 'robots')
ORDER BY fetched_at, url;
