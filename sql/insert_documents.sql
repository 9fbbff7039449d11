INSERT INTO documents BY NAME
SELECT * REPLACE (map_from_entries(source_tags) AS source_tags) FROM staged;
