-- Child sitemaps a source's index listed on earlier days: re-checked (conditionally) even when the index
-- itself answers 304, since a child changes without its index changing.
SELECT DISTINCT source, url FROM fetch_log
WHERE partition_date < $day AND stage = 'discovery' AND kind = 'sitemap'
  AND url NOT IN (SELECT unnest($roots::VARCHAR[]))
ORDER BY source, url;
