-- Sources that produced documents in the trailing $window days but extracted none today, among the sources
-- checked today (a source the re-check policy did not ask at all today is not silent: it was not due; during a
-- day of hourly runs, a daily source is not checked before the day's last hour).
SELECT source, count(*) AS recent_documents, max(partition_date) AS last_day
FROM documents
WHERE partition_date BETWEEN $day - to_days($window) AND $day - 1
  AND source NOT IN (SELECT source FROM documents WHERE partition_date = $day)
  AND source IN (SELECT source FROM fetch_log WHERE partition_date = $day AND stage = 'discovery')
  AND source NOT IN (SELECT source FROM source_checks WHERE partition_date = $day
                     GROUP BY source HAVING bool_and(decision = 'not_due'))
GROUP BY source ORDER BY source;
