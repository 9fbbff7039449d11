-- Pipeline tables that still hold a `text` column (homes from before texts moved to files: freshdata.texts).
SELECT table_name FROM duckdb_columns()
WHERE database_name = current_database() AND schema_name = 'main' AND column_name = 'text'
  AND table_name IN ('documents', 'quality_results', 'snapshot_documents');
