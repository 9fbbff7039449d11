-- robots.txt answers the day already received (discovery or fetch stage), the latest per URL: later
-- requests of the same day reuse them instead of asking again (once their archived record reads back intact).
-- Whole latest rows (not arg_max per column, which skips NULLs and could pair one row's status with another's file).
SELECT url, http_status, warc_file, warc_offset, content_hash, body_bytes
FROM fetch_log
WHERE partition_date = $day AND kind = 'robots' AND http_status IS NOT NULL
QUALIFY row_number() OVER (PARTITION BY url ORDER BY fetched_at DESC, stage DESC) = 1
ORDER BY url;
