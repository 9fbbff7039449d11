INSERT INTO discovered_urls BY NAME SELECT * FROM staged;
INSERT INTO discovery_days SELECT DISTINCT partition_date FROM staged EXCEPT SELECT partition_date FROM discovery_days;
