-- Child sitemaps a source's index listed on earlier days (or earlier rounds of the day): re-checked
-- (conditionally) even when the index itself answers 304, since a child changes without its index changing.
SELECT DISTINCT source, url FROM fetch_log
WHERE (partition_date < $day OR partition_date = $day AND coalesce(hour, 24) < coalesce($hour, 24))
  AND stage = 'discovery' AND kind = 'sitemap'
  AND url NOT IN (SELECT unnest($roots::VARCHAR[]))
ORDER BY source, url;
