-- URLs whose every earlier fetch attempt failed transiently (fewer than $max_attempts times): they come back
-- on the next day even when no feed lists them any more, so a transient failure is never final by accident.
-- Bounded by the retry horizon: only rows of the 10 days before the day are read (row groups outside it are
-- skipped by partition_date's zone maps). A URL waiting for a retry comes back on every daily run (as `new`,
-- fetched or over budget) until it is settled or has had $max_attempts attempts, so its whole retry life lies
-- in that window; a URL left untouched for 10 days (no run at all, or its source out of the sources file for
-- that long) is no longer retried unless a feed lists it again.
WITH recent_fetches AS (
    SELECT url, source, partition_date, fetched_at, state, reason
    FROM fetch_log
    WHERE stage = 'fetch' AND kind = 'document' AND partition_date >= $day::DATE - 10
), recent_discovered AS (
    SELECT url, source, partition_date, published_at, state
    FROM discovered_urls
    WHERE partition_date >= $day::DATE - 10
), attempts AS (
    SELECT * FROM document_attempts($day::DATE - 10, $day)
), over_budget AS (
    SELECT url, arg_max(source, partition_date) AS source, max(partition_date) AS last_day
    FROM recent_discovered
    WHERE partition_date < $day AND state = 'over_budget'
      AND url NOT IN (SELECT url FROM recent_fetches)
    GROUP BY url
), retries AS (
    SELECT url, source, last_day FROM attempts WHERE transient AND n < $max_attempts
    UNION ALL
    SELECT url, source, last_day FROM over_budget
), published AS (
    SELECT url, max(published_at) AS published_at
    FROM recent_discovered WHERE url IN (SELECT url FROM retries)
    GROUP BY url
)
SELECT r.url, r.source, r.last_day, p.published_at
FROM retries r LEFT JOIN published p USING (url)
ORDER BY url;
