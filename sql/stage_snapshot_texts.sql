-- The staged snapshot reads the texts of the quality file the day has now, until it is staged again (a later
-- re-run of the quality stage does not change what the checks saw and what is published).
DELETE FROM text_files WHERE partition_date = $day AND kind = 'snapshot';
INSERT INTO text_files SELECT partition_date, 'snapshot', path FROM text_files WHERE partition_date = $day AND kind = 'quality';
