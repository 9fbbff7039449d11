SELECT * FROM day_funnel WHERE partition_date = $day;
