DELETE FROM discovered_urls WHERE partition_date = $day;
DELETE FROM discovery_days WHERE partition_date = $day;
DELETE FROM fetch_log WHERE partition_date = $day AND stage = 'discovery';
