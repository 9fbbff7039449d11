-- Quality stage output: one row per document per partition day, kept and rejected alike. The cleaned (c4_lines,
-- boilerplate) and PII-redacted text is in the day's texts file (table text_files, kind 'quality').
-- stats holds every operator statistic as '<operator>.<stat>' -> DOUBLE (query: stats['gopher_quality.n_words']).
CREATE TABLE IF NOT EXISTS quality_results (
    partition_date    DATE NOT NULL,
    doc_id            VARCHAR NOT NULL,
    kept              BOOLEAN NOT NULL,
    reason            VARCHAR,            -- '<operator>:<rule>' of the first failing rule, NULL when kept
    language          VARCHAR,
    language_score    DOUBLE,
    source            VARCHAR,
    registered_domain VARCHAR,
    url_path_depth    INTEGER,
    word_count        INTEGER,
    char_count        INTEGER,
    fetch_lag_hours   DOUBLE,
    quality_score     DOUBLE,
    topic             VARCHAR,
    topic_score       DOUBLE,
    format            VARCHAR,
    format_score      DOUBLE,
    pii_email         INTEGER,
    pii_ip            INTEGER,
    pii_phone         INTEGER,
    pii_card          INTEGER,
    pii_ssn           INTEGER,
    stats             MAP(VARCHAR, DOUBLE),
    source_tags       MAP(VARCHAR, VARCHAR),
    script            VARCHAR             -- ISO 15924 script of the text (Latn, Cyrl, Hani, Deva, …)
);  -- no PRIMARY KEY: the day is replaced whole in one transaction (see create_crawl.sql)
-- homes created before the column existed (CREATE … IF NOT EXISTS leaves their table as it was)
ALTER TABLE quality_results ADD COLUMN IF NOT EXISTS script VARCHAR;
