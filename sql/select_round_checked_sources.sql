-- Sources an hourly round of the day already checked: the daily round leaves them to the hourly runs.
SELECT DISTINCT source FROM fetch_log
WHERE partition_date = $day AND stage = 'discovery' AND hour IS NOT NULL AND kind <> 'robots';
