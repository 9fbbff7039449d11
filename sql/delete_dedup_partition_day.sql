DELETE FROM dedup_days WHERE partition_date = $day;
