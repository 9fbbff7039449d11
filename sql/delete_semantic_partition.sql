-- Replace a day whole: run inside the caller's transaction before inserting the day's rows.
DELETE FROM semantic_documents WHERE partition_date = $day;
DELETE FROM semantic_days WHERE partition_date = $day;
