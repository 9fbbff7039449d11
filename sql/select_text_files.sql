-- Every texts file of a kind, for the reader's views over pipeline tables (freshdata.reader).
SELECT path FROM text_files WHERE kind = $kind ORDER BY partition_date;
