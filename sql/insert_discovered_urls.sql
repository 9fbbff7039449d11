INSERT INTO discovered_urls BY NAME SELECT * FROM staged;
