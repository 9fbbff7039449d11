-- {table}, {column}: one of freshdata.texts.LEGACY (fixed names, never user text).
SELECT DISTINCT {column} FROM {table} ORDER BY 1;
