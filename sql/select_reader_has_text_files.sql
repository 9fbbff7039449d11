-- Does the attached pipeline database (freshdata.reader) keep its texts in files (table text_files)?
SELECT 1 FROM duckdb_tables() WHERE database_name = 'pipeline' AND schema_name = 'main' AND table_name = 'text_files';
