-- URLs (among the staged candidates) that earlier days already settled, so today must not fetch them:
-- anything that reached a final state, or that was tried $max_attempts times.
-- Transient outcomes (deferred, timeouts, 5xx, connection errors, over budget) are retried on later days.
SELECT url, CASE WHEN NOT transient THEN 'fetched_before' ELSE 'retries_exhausted' END AS reason
FROM document_attempts(DATE '0001-01-01', $day)
WHERE url IN (SELECT url FROM staged) AND (NOT transient OR n >= $max_attempts);
