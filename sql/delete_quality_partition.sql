-- Replace-a-day semantics: called right before insert_quality_results in one transaction.
DELETE FROM quality_results WHERE partition_date = CAST($day AS DATE);
