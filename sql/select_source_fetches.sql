-- Feeds, sitemaps and seed pages fetched (or answered 304) for the day.
SELECT kind, state, coalesce(reason, '') AS reason, count(*) AS n
FROM fetch_log WHERE partition_date = $day AND stage = 'discovery'
GROUP BY ALL ORDER BY kind, state;
