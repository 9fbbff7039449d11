-- Columns of a table of the main database, in order (freshdata.catalog).
SELECT column_name FROM duckdb_columns()
WHERE database_name = current_database() AND schema_name = 'main' AND table_name = $table
ORDER BY column_index;
