INSERT INTO fetch_log BY NAME SELECT * FROM staged;
