-- Pipeline tables of a home from before the catalog was slimmed (freshdata.catalog): those that still have a
-- PRIMARY KEY (an ART index of every row), snapshot_documents while it still holds its own stats column, and
-- dedup_signatures while it exists (signatures are per-day files now).
SELECT table_name FROM duckdb_constraints()
WHERE database_name = current_database() AND schema_name = 'main' AND constraint_type = 'PRIMARY KEY'
  AND table_name IN ('discovered_urls', 'extractions', 'documents', 'quality_results', 'snapshot_documents')
UNION
SELECT table_name FROM duckdb_columns()
WHERE database_name = current_database() AND schema_name = 'main' AND table_name = 'snapshot_documents'
  AND column_name = 'stats'
UNION
SELECT table_name FROM duckdb_tables()
WHERE database_name = current_database() AND schema_name = 'main' AND table_name = 'dedup_signatures'
ORDER BY 1;
