COPY (SELECT * FROM day_funnel ORDER BY partition_date) TO '{path}' (FORMAT parquet);
