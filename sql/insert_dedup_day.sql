INSERT INTO dedup_days
    (partition_date, run_id, n_docs, n_fresh, n_exact_duplicate, n_near_duplicate, n_too_short)
VALUES ($day, $run_id, $n_docs, $n_fresh, $n_exact_duplicate, $n_near_duplicate, $n_too_short);
