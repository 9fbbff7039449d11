-- Earlier documents by vector key (the index's answers): their doc_id and story. Keys grow with the day, so
-- DuckDB's zone maps skip the row groups of other days.
SELECT vector_key, doc_id, story_id FROM semantic_documents
WHERE vector_key IN (SELECT unnest($keys::UBIGINT[]));
