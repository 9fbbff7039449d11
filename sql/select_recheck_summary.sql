-- Per source: its re-check interval now, when it is due, and its recent history (`freshdata stats`, up to $day).
WITH recent AS (
    SELECT * FROM source_checks WHERE partition_date <= $day
), last AS (
    SELECT source, arg_max(interval_s, as_of) AS interval_s, arg_max(next_due_at, as_of) AS next_due_at,
           arg_max(coalesce(outcome, decision), as_of) AS last_decision, max(as_of) AS as_of
    FROM recent GROUP BY source
), week AS (
    SELECT r.source, count(*) FILTER (WHERE decision = 'checked') AS checks_7d,
           count(*) FILTER (WHERE decision = 'not_due') AS not_due_7d,
           coalesce(sum(n_new), 0) AS new_items_7d,
           string_agg(round(interval_s / 3600, 1)::VARCHAR, ' ' ORDER BY r.as_of)
               FILTER (WHERE decision = 'checked') AS interval_h_history
    FROM recent r JOIN last l USING (source)
    WHERE r.as_of > l.as_of - INTERVAL 7 DAY
    GROUP BY r.source
)
SELECT source, round(interval_s / 3600, 2) AS interval_h, next_due_at, last_decision, checks_7d, not_due_7d,
       new_items_7d, interval_h_history
FROM last JOIN week USING (source)
ORDER BY source;
