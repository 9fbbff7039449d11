INSERT INTO source_checks BY NAME SELECT * FROM staged;
