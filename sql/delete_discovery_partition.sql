-- One round of the day ($hour 0-23: an hourly run; NULL: the daily run). discovery_days keeps the day while
-- another round still has rows.
DELETE FROM discovered_urls WHERE partition_date = $day AND hour IS NOT DISTINCT FROM $hour;
DELETE FROM discovery_days WHERE partition_date = $day
    AND NOT EXISTS (SELECT 1 FROM discovered_urls WHERE partition_date = $day);
DELETE FROM fetch_log WHERE partition_date = $day AND stage = 'discovery' AND hour IS NOT DISTINCT FROM $hour;
