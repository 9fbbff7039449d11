-- {table} is filled in by freshdata.catalog: the old table steps aside while its DDL creates the new one.
ALTER TABLE {table} RENAME TO {table}__before_catalog;
