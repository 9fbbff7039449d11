-- Per-day funnel: discovered → fetched → extracted → exact dup → near dup → rejected → kept.
CREATE OR REPLACE VIEW funnel AS SELECT * FROM read_parquet('{funnel}');
