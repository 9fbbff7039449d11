INSERT INTO extractions BY NAME SELECT * FROM staged;
