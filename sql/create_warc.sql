-- WARC sources (kind: warc): every WARC file a day ingested or tried to, and every damaged record met in one.
-- Written and deleted with the day's discovery partition (insert_warc_files, delete_warc_partition): a re-run of
-- the day ingests that day's files again, and a file ingested on another day is never ingested again
-- (select_warc_ingested).
CREATE TABLE IF NOT EXISTS warc_files (
    partition_date DATE NOT NULL,
    source         VARCHAR NOT NULL,
    file_url       VARCHAR NOT NULL,     -- URL or absolute path of the WARC file, as listed (resolved)
    listing_url    VARCHAR,              -- the listing that named it; NULL for a source that is one WARC file
    state          VARCHAR NOT NULL,     -- ingested | failed (a failed file is tried again on a later day)
    reason         VARCHAR,              -- failed: download (http_404, too_large, timeout, ...) or not_a_warc
    detail         VARCHAR,
    file_bytes     BIGINT,               -- as downloaded (compressed)
    file_sha256    VARCHAR,
    archive_file   VARCHAR,              -- the day's raw file (relative to <home>/raw) holding its pages
    records        INTEGER,              -- WARC records read, damaged ones included
    documents      INTEGER,              -- HTML responses passed on as the day's discovered URLs
    skipped        VARCHAR,              -- JSON {reason: count} of records that are no HTML page (warcinfo, request,
                                         -- metadata, revisit, non-2xx, non-HTML type, repeated URL)
    damaged        INTEGER,              -- records in warc_damage
    ingested_at    TIMESTAMPTZ NOT NULL
);

CREATE TABLE IF NOT EXISTS warc_damage (
    partition_date DATE NOT NULL,
    source         VARCHAR NOT NULL,
    file_url       VARCHAR NOT NULL,
    file_offset    BIGINT NOT NULL,      -- of the damaged gzip member (or record) in the downloaded file
    url            VARCHAR,              -- WARC-Target-URI when it could be read
    reason         VARCHAR NOT NULL
);
