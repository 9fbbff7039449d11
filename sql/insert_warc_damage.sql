INSERT INTO warc_damage BY NAME SELECT * FROM staged;
