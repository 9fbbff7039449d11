-- A day's texts file: `staged_texts` (doc_id, text) is registered by freshdata.texts; {path} is filled in
-- there (COPY takes no parameter for its target). Sorted by doc_id, so a lookup of a few ids (dedup's
-- verification of history candidates) skips row groups by their min/max statistics.
COPY (
    SELECT CAST($day AS DATE) AS partition_date, doc_id, text FROM staged_texts ORDER BY doc_id
) TO '{path}' (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE 8192);
