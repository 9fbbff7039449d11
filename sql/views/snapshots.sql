-- All published snapshots: exactly the Parquet files exports/published.json lists ({files}), so a day that
-- is being written, or failed its checks, is never seen. Never locked by a run.
CREATE OR REPLACE VIEW snapshots AS
SELECT * FROM read_parquet({files}, hive_partitioning = true, union_by_name = true);
