-- Decided days strictly before $day (the only history a day's decisions may depend on).
SELECT partition_date, run_id, n_docs FROM dedup_days WHERE partition_date < $day ORDER BY partition_date;
