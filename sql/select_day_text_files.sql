-- Every file the day's rows name (a quality file stays while the staged snapshot still names it).
SELECT DISTINCT path FROM text_files WHERE partition_date = $day;
