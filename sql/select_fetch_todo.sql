-- The new URLs of a round of the day, with what an earlier materialization of the same day already has.
SELECT d.url, d.source, d.published_at, f.state AS prev_state
FROM discovered_urls d
LEFT JOIN (
    SELECT url, arg_max(state, fetched_at) AS state FROM fetch_log
    WHERE partition_date = $day AND hour IS NOT DISTINCT FROM $hour AND stage = 'fetch' AND kind = 'document'
    GROUP BY url
) f USING (url)
WHERE d.partition_date = $day AND d.hour IS NOT DISTINCT FROM $hour AND d.state = 'new'
ORDER BY d.source, d.url;
