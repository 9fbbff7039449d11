-- Replace a day whole: run (with the two companions below) inside the caller's transaction before inserting.
DELETE FROM dedup_decisions WHERE partition_date = $day;
