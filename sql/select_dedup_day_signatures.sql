-- One day's signatures, to rebuild that day's cache segment (zone maps on partition_date prune other days).
SELECT ord, text_hash, sig FROM dedup_signatures WHERE partition_date = $day ORDER BY ord;
