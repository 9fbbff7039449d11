COPY (SELECT * FROM snapshot_manifest ORDER BY snapshot_date) TO '{path}' (FORMAT parquet);
