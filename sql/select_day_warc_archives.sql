-- The day's raw files holding pages read from WARC files, in the order they were written.
SELECT DISTINCT archive_file, min(ingested_at) AS first FROM warc_files
WHERE partition_date = $day AND archive_file IS NOT NULL GROUP BY archive_file ORDER BY first, archive_file;
