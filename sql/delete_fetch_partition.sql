DELETE FROM fetch_log WHERE partition_date = $day AND stage = 'fetch';
