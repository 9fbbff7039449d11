-- Sources that produced documents in the trailing $window days but extracted none today, among the sources
-- checked today (during a day of hourly runs, a daily source is not checked before the day's last hour).
SELECT source, count(*) AS recent_documents, max(partition_date) AS last_day
FROM documents
WHERE partition_date BETWEEN $day - to_days($window) AND $day - 1
  AND source NOT IN (SELECT source FROM documents WHERE partition_date = $day)
  AND source IN (SELECT source FROM fetch_log WHERE partition_date = $day AND stage = 'discovery')
GROUP BY source ORDER BY source;
