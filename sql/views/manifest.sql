-- One row per published day: counts, content hash of its Parquet file, config/recipe hashes, versions.
CREATE OR REPLACE VIEW manifest AS SELECT * FROM read_parquet('{manifest}');
