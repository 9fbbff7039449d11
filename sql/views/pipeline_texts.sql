-- The pipeline tables that held texts before texts moved to per-day Parquet files (freshdata.texts), with their
-- `text` column again, for `freshdata query` on pipeline tables. {extracted}, {quality}, {snapshot}: the files
-- text_files names for each kind (a read_parquet of that list, or an empty relation), filled in by
-- freshdata.reader. In the reader's own catalog, which comes first on its search path: these names shadow the
-- attached tables of the same name.
CREATE OR REPLACE VIEW documents AS
SELECT d.*, t.text
FROM pipeline.main.documents d
LEFT JOIN {extracted} t ON t.partition_date = d.partition_date AND t.doc_id = d.doc_id;

CREATE OR REPLACE VIEW quality_results AS
SELECT q.*, t.text
FROM pipeline.main.quality_results q
LEFT JOIN {quality} t ON t.partition_date = q.partition_date AND t.doc_id = q.doc_id;

-- stats are stored once, in quality_results (the row the snapshot row was staged from); the columns keep the
-- order they had when snapshot_documents held them (a home not yet migrated still has its own: not read twice).
CREATE OR REPLACE VIEW snapshot_documents AS
SELECT s.* EXCLUDE (script), q.stats, s.script, t.text
FROM (SELECT COLUMNS(lambda c: c <> 'stats') FROM pipeline.main.snapshot_documents) s
LEFT JOIN pipeline.main.quality_results q ON q.partition_date = s.snapshot_date AND q.doc_id = s.doc_id
LEFT JOIN {snapshot} t ON t.partition_date = s.snapshot_date AND t.doc_id = s.doc_id;
