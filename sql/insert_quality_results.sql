-- quality_batch is an Arrow table registered by freshdata.quality.db.write_quality_day.
INSERT INTO quality_results BY NAME
SELECT CAST($day AS DATE) AS partition_date, * FROM quality_batch;
