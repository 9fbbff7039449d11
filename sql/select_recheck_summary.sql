-- Per source (`freshdata stats`, runs up to $day): its re-check interval now, when it is next due, its last decision
-- or outcome, its checks, not-due runs and new items over the last 7 days, and the intervals after its last 12
-- checks, in hours, oldest first (the history of how the interval moved).
WITH recent AS (
    SELECT * FROM source_checks WHERE partition_date <= $day
), last AS (
    SELECT source, arg_max(interval_s, as_of) AS interval_s, arg_max(next_due_at, as_of) AS next_due_at,
           arg_max(coalesce(outcome, decision), as_of) AS last_decision, max(as_of) AS as_of
    FROM recent GROUP BY source
), week AS (
    SELECT r.source, count(*) FILTER (WHERE decision = 'checked') AS checks_7d,
           count(*) FILTER (WHERE decision = 'not_due') AS not_due_7d, sum(n_new)::BIGINT AS new_items_7d
    FROM recent r JOIN last l USING (source)
    WHERE r.as_of > l.as_of - INTERVAL 7 DAY
    GROUP BY r.source
), history AS (
    SELECT source, array_to_string(list(round(interval_s / 3600, 1) ORDER BY as_of)[-12:], ' ') AS interval_h_history
    FROM recent WHERE decision = 'checked' GROUP BY source
)
SELECT source, round(interval_s / 3600, 2) AS interval_h, strftime(next_due_at AT TIME ZONE 'UTC', '%Y-%m-%d %H:%M')
           AS next_due_utc, last_decision, checks_7d, not_due_7d, new_items_7d, interval_h_history
FROM last JOIN week USING (source) LEFT JOIN history USING (source)
ORDER BY source;
