-- Every published day's Parquet file, for exports/published.json (what readers see).
SELECT snapshot_date, export_path, content_hash, n_documents FROM snapshot_manifest ORDER BY snapshot_date;
