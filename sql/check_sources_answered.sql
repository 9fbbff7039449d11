-- Per source, today's requests (sources and documents, not robots.txt) and how many got any HTTP answer.
-- A source with rows but no answer returned nothing today (dead host, DNS, blocked, all refused).
-- A WARC source's listing or file read from a local path has no HTTP status: read whole, it answered.
-- A source the re-check policy did not ask today (source_checks decision not_due, and no request) is answered by
-- policy: 0 requests, by_policy true.
WITH asked AS (
    SELECT source, count(*) AS requests, count(*) FILTER (WHERE http_status IS NOT NULL OR state = 'fetched') AS answered,
           string_agg(DISTINCT coalesce(state || ':' || reason, state), ', ' ORDER BY coalesce(state || ':' || reason, state))
               FILTER (WHERE http_status IS NULL AND state <> 'fetched') AS failures
    FROM fetch_log
    WHERE partition_date = $day AND kind <> 'robots' AND reason IS DISTINCT FROM 'source_removed'
    GROUP BY source
)
SELECT source, requests, answered, failures, false AS by_policy FROM asked
UNION ALL
SELECT DISTINCT source, 0, 0, NULL, true FROM source_checks
WHERE partition_date = $day AND decision = 'not_due' AND source NOT IN (SELECT source FROM asked)
ORDER BY source;
