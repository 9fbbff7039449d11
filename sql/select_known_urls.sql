-- URLs (among the staged candidates) that earlier days already settled, so today must not fetch them:
-- anything that reached a final state, or that was tried $max_attempts times.
-- Transient outcomes (deferred, timeouts, 5xx, connection errors, over budget) are retried on later days.
-- Earlier document fetches are found through fetch_keys (a 128-bit md5 of the URL: a hash join on integers, so
-- no history URL string is read).
WITH candidates AS (
    SELECT DISTINCT url, md5_number(url) AS url_key FROM staged
), attempts AS (
    SELECT c.url,
           bool_or(NOT transient_failure(k.state, k.reason)) AS settled,
           count(*) FILTER (WHERE k.reason IS DISTINCT FROM 'source_removed') AS n  -- no request was made
    FROM fetch_keys k JOIN candidates c ON c.url_key = k.url_key
    WHERE k.partition_date < $day
    GROUP BY c.url
)
SELECT url, CASE WHEN settled THEN 'fetched_before' ELSE 'retries_exhausted' END AS reason
FROM attempts WHERE settled OR n >= $max_attempts;
