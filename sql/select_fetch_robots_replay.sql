-- robots.txt rows the day's fetch stage already recorded: a re-run that reuses their policies (and so does not
-- ask again) keeps them, so every decision of the day still has its robots.txt on record.
SELECT source, kind, url, final_url, state, reason, detail, http_status, content_type, encoding, etag,
       last_modified, fetched_at, elapsed_s, body_bytes, content_hash, warc_file, warc_offset
FROM fetch_log
WHERE partition_date = $day AND hour IS NOT DISTINCT FROM $hour AND stage = 'fetch' AND kind = 'robots'
ORDER BY fetched_at, url;
