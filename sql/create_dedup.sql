-- Near-duplicate detection (freshdata.dedup). Idempotent DDL: run by schema.ensure_schema when the DDL changes.
-- Index parameters (scheme, num_perm, seed, ngram, bands, rows, normalizer version) fixed at first use;
-- a config that differs is refused instead of silently mixing incomparable signatures.
CREATE TABLE IF NOT EXISTS dedup_params (
    key VARCHAR PRIMARY KEY,
    value VARCHAR NOT NULL
);

-- One row per decided day. run_id is a content hash of the day's stored signatures: file caches under
-- index_dir are keyed by it, so a cache file is valid iff its (partition_date, run_id) is listed here.
CREATE TABLE IF NOT EXISTS dedup_days (
    partition_date DATE PRIMARY KEY,
    run_id VARCHAR NOT NULL,
    n_docs INTEGER NOT NULL,
    n_fresh INTEGER NOT NULL,
    n_exact_duplicate INTEGER NOT NULL,
    n_near_duplicate INTEGER NOT NULL,
    n_too_short INTEGER NOT NULL
);

-- The contract table: one decision per document; duplicates are kept, never deleted.
CREATE TABLE IF NOT EXISTS dedup_decisions (
    partition_date DATE NOT NULL,
    doc_id VARCHAR NOT NULL,
    ord INTEGER NOT NULL,              -- position of the doc within its day (caller's order key)
    status VARCHAR NOT NULL,           -- fresh | exact_duplicate | near_duplicate
    duplicate_of VARCHAR,              -- doc_id of the earliest matching doc
    duplicate_of_date DATE,
    similarity DOUBLE,                 -- 1.0 for exact, estimated Jaccard for near
    too_short BOOLEAN NOT NULL,        -- fewer words than min_words: exact-hash only
    text_hash UBIGINT NOT NULL,        -- 64-bit hash of the normalized text
    n_words INTEGER NOT NULL
);

-- Source of truth for the near-duplicate index: the MinHash signatures of each decided day (num_perm
-- little-endian uint32 per document, NULL for too-short docs, with ord and text_hash) are a per-day Parquet file
-- named by text_files (kind 'signatures', freshdata.texts): ~0.5 KB a document that no query needs in DuckDB.
-- Band keys are derived from them, so the on-disk caches can always be rebuilt from that file. Homes that still
-- have table dedup_signatures are migrated by freshdata.catalog.
