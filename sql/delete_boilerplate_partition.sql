-- Replace-a-day semantics for the boilerplate line statistics (same transaction as quality_results).
DELETE FROM boilerplate_lines WHERE partition_date = CAST($day AS DATE);
DELETE FROM boilerplate_sources WHERE partition_date = CAST($day AS DATE);
