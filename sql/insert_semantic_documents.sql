-- The day's semantic rows, from the staged frame (freshdata.semantic.day).
INSERT INTO semantic_documents BY NAME SELECT * FROM staged;
