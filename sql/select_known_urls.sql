-- URLs (among the staged candidates) that earlier days already settled, so today must not fetch them:
-- anything that reached a final state, or that was tried $max_attempts times.
-- Transient outcomes (deferred, timeouts, 5xx, connection errors, over budget) are retried on later days.
WITH attempts AS (
    SELECT url,
           bool_or(NOT transient_failure(state, reason)) AS settled,
           count(*) FILTER (WHERE reason IS DISTINCT FROM 'source_removed') AS n  -- no request was made
    FROM fetch_log
    WHERE stage = 'fetch' AND kind = 'document' AND partition_date < $day AND url IN (SELECT url FROM staged)
    GROUP BY url
)
SELECT url, CASE WHEN settled THEN 'fetched_before' ELSE 'retries_exhausted' END AS reason
FROM attempts WHERE settled OR n >= $max_attempts;
