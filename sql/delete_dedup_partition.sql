-- Replace a day whole: run inside the caller's transaction before inserting the day's decisions, signatures
-- and day row.
DELETE FROM dedup_decisions WHERE partition_date = $day;
DELETE FROM dedup_signatures WHERE partition_date = $day;
DELETE FROM dedup_days WHERE partition_date = $day;
