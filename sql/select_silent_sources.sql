-- Sources that produced documents in the trailing $window days but extracted none today.
SELECT source, count(*) AS recent_documents, max(partition_date) AS last_day
FROM documents
WHERE partition_date BETWEEN $day - to_days($window) AND $day - 1
  AND source NOT IN (SELECT source FROM documents WHERE partition_date = $day)
GROUP BY source ORDER BY source;
