-- Semantic stage (freshdata.semantic): one row per document quality kept, per day, with its int8 document vector
-- (the source the vector index in <catalog home>/semantic_index is rebuilt from), its semantic duplicate, story and
-- reader personas; one row per decided day (also days with no kept document).
CREATE TABLE IF NOT EXISTS semantic_documents (
    partition_date        DATE NOT NULL,
    doc_id                VARCHAR NOT NULL,
    vector_key            UBIGINT NOT NULL,   -- (days since 1970-01-01) << 24 | order in the day
    vector                BLOB NOT NULL,      -- 128 int8 codes
    semantic_duplicate_of VARCHAR,            -- the most similar earlier kept document above the threshold
    semantic_similarity   DOUBLE,             -- cosine to semantic_duplicate_of
    story_id              VARCHAR NOT NULL,   -- doc_id of the story's first document
    story_similarity      DOUBLE,             -- cosine to the document whose story it joined; NULL: started it
    personas              VARCHAR[] NOT NULL  -- reader persona ids, most likely first
);  -- no PRIMARY KEY: the day is replaced whole in one transaction (see create_crawl.sql)
-- A semantic duplicate left out of the snapshot (semantic.duplicates: drop; funnel state semantic_duplicate). It
-- stays in the vector index and keeps its story. Appended (homes from before it get it here); earlier rows get
-- false, which they were (tag was the only mode).
ALTER TABLE semantic_documents ADD COLUMN IF NOT EXISTS dropped BOOLEAN DEFAULT false;

CREATE TABLE IF NOT EXISTS semantic_days (
    partition_date DATE PRIMARY KEY,
    n_documents    INTEGER NOT NULL
);
