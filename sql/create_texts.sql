-- Which Parquet file holds a day's texts of each kind (freshdata/texts.py): extracted (documents' texts),
-- quality (cleaned, PII-redacted texts of quality_results), snapshot (the quality file snapshot_documents
-- was staged from). Replaced in the same transaction as the day's rows, so rows and texts change together;
-- `path` is relative to the data home and content-addressed, so a file is never rewritten in place.
CREATE TABLE IF NOT EXISTS text_files (
    partition_date DATE NOT NULL,
    kind           VARCHAR NOT NULL,
    path           VARCHAR NOT NULL,
    PRIMARY KEY (partition_date, kind)
);
