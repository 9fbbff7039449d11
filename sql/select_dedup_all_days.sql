SELECT partition_date, run_id, n_docs FROM dedup_days ORDER BY partition_date;
