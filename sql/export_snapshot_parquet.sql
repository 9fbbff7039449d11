-- {path} is filled in by freshdata.snapshot (COPY takes no parameter for its target). The text comes from
-- the texts file the day was staged from ($texts), in the column position it always had (after
-- fetch_lag_hours), so the same inputs give the same bytes as when snapshot_documents held it. The stats map
-- is stored once, in quality_results (the row snapshot_documents was staged from), in the position it always had
-- (before script).
COPY (
    SELECT s.doc_id, s.url, s.source, s.title, s.author, s.sitename, s.published_at, s.fetched_at,
           s.fetch_lag_hours, t.text,
           s.* EXCLUDE (snapshot_date, doc_id, url, source, title, author, sitename, published_at, fetched_at,
                        fetch_lag_hours, script),
           q.stats, s.script
    FROM snapshot_documents s
    LEFT JOIN read_parquet($texts) t ON t.doc_id = s.doc_id
    JOIN quality_results q ON q.partition_date = $day AND q.doc_id = s.doc_id  -- every staged row has one
    WHERE s.snapshot_date = $day
    ORDER BY s.doc_id
) TO '{path}' (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE 100000);
