-- All snapshots, straight from the Parquet exports ({home} is the data home). Never locked by a run.
CREATE OR REPLACE VIEW snapshots AS
SELECT * FROM read_parquet('{home}/snapshots/*/*.parquet', hive_partitioning = true, union_by_name = true);
