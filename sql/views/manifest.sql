CREATE OR REPLACE VIEW manifest AS SELECT * FROM read_parquet('{home}/exports/manifest.parquet');
