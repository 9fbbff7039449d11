-- One round of the day ($hour 0-23: an hourly run; NULL: the daily run).
DELETE FROM fetch_log WHERE partition_date = $day AND stage = 'fetch' AND hour IS NOT DISTINCT FROM $hour;
DELETE FROM fetch_keys WHERE partition_date = $day AND hour IS NOT DISTINCT FROM $hour;
