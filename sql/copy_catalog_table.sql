-- {table} and {columns} (the new table's columns, all present in the old one) are filled in by freshdata.catalog.
INSERT INTO {table} BY NAME SELECT {columns} FROM {table}__before_catalog;
DROP TABLE {table}__before_catalog;
