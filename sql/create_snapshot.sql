-- Published daily snapshots: the day's kept documents with every tag, and one manifest row per day. Texts are in
-- the texts file the day was staged from (text_files, kind 'snapshot'); the published Parquet joins them in.
CREATE TABLE IF NOT EXISTS snapshot_documents (
    snapshot_date     DATE NOT NULL,
    doc_id            VARCHAR NOT NULL,
    url               VARCHAR NOT NULL,
    source            VARCHAR NOT NULL,
    title             VARCHAR,
    author            VARCHAR,
    sitename          VARCHAR,
    published_at      TIMESTAMPTZ,
    fetched_at        TIMESTAMPTZ NOT NULL,
    fetch_lag_hours   DOUBLE,
    language          VARCHAR,
    language_score    DOUBLE,
    registered_domain VARCHAR,
    url_path_depth    INTEGER,
    word_count        INTEGER,
    char_count        INTEGER,
    quality_score     DOUBLE,
    topic             VARCHAR,
    format            VARCHAR,
    pii_email         INTEGER,
    pii_ip            INTEGER,
    pii_phone         INTEGER,
    pii_card          INTEGER,
    pii_ssn           INTEGER,
    categories        VARCHAR[],
    page_tags         VARCHAR[],
    source_tags       MAP(VARCHAR, VARCHAR),
    -- stats: not stored twice; the published Parquet and the readers' view take quality_results.stats
    script            VARCHAR             -- ISO 15924 script; language is 'und' when language id is unsure
);  -- no PRIMARY KEY: the day is replaced whole in one transaction (see create_crawl.sql)
ALTER TABLE snapshot_documents ADD COLUMN IF NOT EXISTS script VARCHAR;
-- the semantic stage's tags (freshdata.semantic): NULL duplicate = none; story_id = doc_id of its first document
ALTER TABLE snapshot_documents ADD COLUMN IF NOT EXISTS semantic_duplicate_of VARCHAR;
ALTER TABLE snapshot_documents ADD COLUMN IF NOT EXISTS semantic_similarity DOUBLE;
ALTER TABLE snapshot_documents ADD COLUMN IF NOT EXISTS story_id VARCHAR;
ALTER TABLE snapshot_documents ADD COLUMN IF NOT EXISTS personas VARCHAR[];

CREATE TABLE IF NOT EXISTS snapshot_manifest (
    snapshot_date      DATE PRIMARY KEY,
    n_documents        INTEGER NOT NULL,
    n_discovered       INTEGER NOT NULL,
    n_extracted        INTEGER NOT NULL,
    n_exact_duplicate  INTEGER NOT NULL,
    n_near_duplicate   INTEGER NOT NULL,
    n_rejected         INTEGER NOT NULL,
    export_path        VARCHAR NOT NULL,    -- relative to the data home
    content_hash       VARCHAR NOT NULL,    -- sha256 of the Parquet export
    config_hash        VARCHAR NOT NULL,    -- sha256 of the crawl + dedup settings
    recipe_hash        VARCHAR NOT NULL,    -- sha256 of the quality recipe (incl. its data files)
    freshdata_version  VARCHAR NOT NULL,
    trafilatura_version VARCHAR NOT NULL,
    datasketch_version VARCHAR NOT NULL,
    duckdb_version     VARCHAR NOT NULL,
    created_at         TIMESTAMPTZ NOT NULL
);
-- Publish -> ingest latency of the day's documents (hours; NULL when none has a publication time).
ALTER TABLE snapshot_manifest ADD COLUMN IF NOT EXISTS p50_publish_to_ingest_hours DOUBLE;
ALTER TABLE snapshot_manifest ADD COLUMN IF NOT EXISTS p90_publish_to_ingest_hours DOUBLE;
-- Kept by quality, left out as semantic duplicates (semantic.duplicates: drop); earlier rows: 0, as they were.
ALTER TABLE snapshot_manifest ADD COLUMN IF NOT EXISTS n_semantic_duplicate INTEGER DEFAULT 0;

-- Keys of every staged snapshot row, for check_snapshot_repeats: 64-bit md5 of doc_id and of url
-- (md5_number_lower: the same on every DuckDB version). Probing history is then a scan of integers, not of the
-- history's doc ids and URLs. Replaced with the day's snapshot_documents rows (delete_snapshot_partition,
-- insert_snapshot_documents); ~16 bytes a row.
CREATE TABLE IF NOT EXISTS snapshot_keys (
    snapshot_date DATE NOT NULL,
    doc_key       UBIGINT NOT NULL,
    url_key       UBIGINT NOT NULL
);
