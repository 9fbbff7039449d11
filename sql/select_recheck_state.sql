-- Each of $sources' re-check state before the run at $as_of: its latest row from an earlier run (never this run's
-- or a later one's, so a re-run or a backfill decides as the first run did).
SELECT source, interval_s, next_due_at, checked_at, events, exposure_s
FROM source_checks
WHERE as_of < $as_of AND source IN (SELECT unnest($sources::VARCHAR[]))
QUALIFY row_number() OVER (PARTITION BY source ORDER BY as_of DESC) = 1;
