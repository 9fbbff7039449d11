-- {path} is filled in by freshdata.snapshot (COPY takes no parameter for its target).
COPY (
    SELECT * EXCLUDE (snapshot_date) FROM snapshot_documents WHERE snapshot_date = $day ORDER BY doc_id
) TO '{path}' (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE 100000);
