-- Final fetch outcomes already recorded for the round of the day: a re-run reuses them instead of re-downloading.
SELECT * EXCLUDE (partition_date, stage, hour) FROM fetch_log
WHERE partition_date = $day AND hour IS NOT DISTINCT FROM $hour AND stage = 'fetch' AND kind = 'document'
  AND state IN ('fetched', 'not_modified', 'robots_disallowed', 'ai_opt_out', 'blocked_address')
ORDER BY url;
