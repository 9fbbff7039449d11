DELETE FROM fetch_log WHERE partition_date = $day AND stage = 'fetch';
DELETE FROM fetch_keys WHERE partition_date = $day;
