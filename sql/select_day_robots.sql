-- robots.txt answers the day already received (discovery or fetch stage), the latest per URL: later
-- requests of the same day reuse them instead of asking again.
SELECT url, arg_max(http_status, fetched_at), arg_max(warc_file, fetched_at), arg_max(warc_offset, fetched_at)
FROM fetch_log
WHERE partition_date = $day AND kind = 'robots' AND http_status IS NOT NULL
GROUP BY url
ORDER BY url;
