-- Replace a day whole: run inside the caller's transaction before inserting the day's decisions and day row
-- (the day's signatures file is named anew in text_files; a superseded one goes at texts.remove_unreferenced).
DELETE FROM dedup_decisions WHERE partition_date = $day;
DELETE FROM dedup_days WHERE partition_date = $day;
