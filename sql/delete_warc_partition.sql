DELETE FROM warc_files WHERE partition_date = $day;
DELETE FROM warc_damage WHERE partition_date = $day;
