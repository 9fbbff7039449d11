-- URLs whose every earlier fetch attempt failed transiently (fewer than $max_attempts times): they come back
-- on the next day even when no feed lists them any more, so a transient failure is never final by accident.
WITH attempts AS (
    SELECT url, arg_max(source, fetched_at) AS source, max(partition_date) AS last_day,
           count(*) FILTER (WHERE reason IS DISTINCT FROM 'source_removed') AS n,  -- no request made
           bool_and(transient_failure(state, reason)) AS transient
    FROM fetch_log
    WHERE stage = 'fetch' AND kind = 'document' AND partition_date < $day
    GROUP BY url
), over_budget AS (
    SELECT url, arg_max(source, partition_date) AS source, max(partition_date) AS last_day
    FROM discovered_urls
    WHERE partition_date < $day AND state = 'over_budget'
      AND url NOT IN (SELECT url FROM fetch_log WHERE stage = 'fetch' AND kind = 'document')
    GROUP BY url
)
SELECT a.url, a.source, a.last_day,
       (SELECT max(published_at) FROM discovered_urls d WHERE d.url = a.url) AS published_at
FROM attempts a WHERE a.transient AND a.n < $max_attempts
UNION ALL
SELECT o.url, o.source, o.last_day, (SELECT max(published_at) FROM discovered_urls d WHERE d.url = o.url)
FROM over_budget o
ORDER BY url;
