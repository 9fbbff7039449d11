-- Earlier rounds of the day (hourly rounds before $hour; every hourly round when $hour is NULL, the daily round)
-- whose discovery committed new URLs but whose fetch never committed: their URLs are fetched by no later round,
-- so a later round must not run before them (as dedup refuses a day after a gap).
SELECT d.hour, count(*) AS new_urls
FROM discovered_urls d
WHERE d.partition_date = $day AND d.state = 'new' AND d.hour IS NOT NULL AND d.hour < coalesce($hour, 24)
  AND NOT EXISTS (SELECT 1 FROM fetch_log f
                  WHERE f.partition_date = $day AND f.stage = 'fetch' AND f.hour = d.hour)
GROUP BY d.hour ORDER BY d.hour;
