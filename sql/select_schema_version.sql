SELECT ddl_hash FROM freshdata_schema;
