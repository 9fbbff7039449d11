-- Feeds, sitemaps and seed pages fetched (or answered 304) for the day, and the sources the re-check policy did not
-- ask (not_due: their interval had not passed).
SELECT kind, state, coalesce(reason, '') AS reason, count(*) AS n
FROM fetch_log WHERE partition_date = $day AND stage = 'discovery'
GROUP BY ALL
UNION ALL
SELECT kind, decision, reason, count(*)
FROM source_checks WHERE partition_date = $day AND decision = 'not_due'
GROUP BY ALL
ORDER BY kind, state;
