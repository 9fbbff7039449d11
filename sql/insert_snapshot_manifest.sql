INSERT INTO snapshot_manifest BY NAME SELECT * FROM staged;
