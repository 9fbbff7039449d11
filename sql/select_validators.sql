-- ETag / Last-Modified of the latest successful fetch of each URL before the day, for conditional GET.
SELECT url, arg_max(etag, fetched_at) AS etag, arg_max(last_modified, fetched_at) AS last_modified
FROM fetch_log
WHERE partition_date < $day AND state = 'fetched' AND (etag IS NOT NULL OR last_modified IS NOT NULL)
GROUP BY url;
