-- ETag / Last-Modified of the latest successful fetch before the day of each URL in $urls (the feeds and
-- sitemaps about to be asked), for conditional GET. Bounded by the list, not by history: only those URLs' rows.
SELECT url, arg_max(etag, fetched_at) AS etag, arg_max(last_modified, fetched_at) AS last_modified
FROM fetch_log
WHERE partition_date < $day AND state = 'fetched' AND (etag IS NOT NULL OR last_modified IS NOT NULL)
  AND url IN (SELECT unnest($urls::VARCHAR[]))
GROUP BY url;
