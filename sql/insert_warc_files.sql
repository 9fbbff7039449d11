INSERT INTO warc_files BY NAME SELECT * FROM staged;
