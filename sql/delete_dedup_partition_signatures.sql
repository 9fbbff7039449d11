DELETE FROM dedup_signatures WHERE partition_date = $day;
