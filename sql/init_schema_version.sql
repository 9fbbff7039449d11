-- Which DDL last ran on this database (sha256 of all create_*.sql), so connections skip unchanged DDL.
CREATE TABLE IF NOT EXISTS freshdata_schema (ddl_hash VARCHAR);
