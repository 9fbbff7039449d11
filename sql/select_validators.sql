-- ETag / Last-Modified of the latest successful fetch before the round (earlier days, and earlier hourly rounds
-- of the day; the daily round comes after the hours) of each URL in $urls (the feeds, sitemaps
-- and seed pages about to be asked), for conditional GET. Bounded by the list, not by history: only discovery
-- rows (the stage that fetches those URLs; ~ sources a day) get past the stage filter, so the URL strings of the
-- history's document fetches are never compared.
SELECT url, arg_max(etag, fetched_at) AS etag, arg_max(last_modified, fetched_at) AS last_modified
FROM fetch_log
WHERE (partition_date < $day OR partition_date = $day AND coalesce(hour, 24) < coalesce($hour, 24))
  AND stage = 'discovery' AND state = 'fetched'
  AND (etag IS NOT NULL OR last_modified IS NOT NULL)
  AND url IN (SELECT unnest($urls::VARCHAR[]))
GROUP BY url;
