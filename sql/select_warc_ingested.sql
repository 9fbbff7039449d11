-- WARC files already ingested on another day (a re-run of the day itself ingests its own files again).
SELECT DISTINCT file_url FROM warc_files WHERE state = 'ingested' AND partition_date <> $day;
