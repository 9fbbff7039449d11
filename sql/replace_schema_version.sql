DELETE FROM freshdata_schema;
INSERT INTO freshdata_schema VALUES ($ddl_hash);
