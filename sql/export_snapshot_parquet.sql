-- {path} is filled in by freshdata.snapshot (COPY takes no parameter for its target).
-- Streamed in doc_id order without a sort: the day's texts file ($texts, sorted by doc_id, row groups of
-- ~16 MB) is scanned in order and probes the day's metadata (hash tables without text): freshdata.snapshot
-- runs this COPY with its joins as written and on one thread (store.streamed_join), where the probe keeps the
-- scan's order, and checks the written file's order before publishing it. So the writer holds one row group, not the day: row groups end at
-- ~16 MB (ROW_GROUP_SIZE_BYTES, as texts.ROW_GROUP_BYTES). A day with less kept text than that is one row
-- group, byte for byte what the earlier `LEFT JOIN … ORDER BY doc_id` export wrote: the CASE keeps `text`
-- nullable as that LEFT JOIN made it, and every other column comes from the same rows in the same positions
-- (text after fetch_lag_hours; the stats map, stored once in quality_results, before script).
COPY (
    SELECT s.doc_id, s.url, s.source, s.title, s.author, s.sitename, s.published_at, s.fetched_at,
           s.fetch_lag_hours, CASE WHEN t.text IS NULL THEN NULL ELSE t.text END AS text,
           s.* EXCLUDE (snapshot_date, doc_id, url, source, title, author, sitename, published_at, fetched_at,
                        fetch_lag_hours, script),
           q.stats, s.script
    FROM read_parquet($texts) t
    JOIN snapshot_documents s ON s.snapshot_date = $day AND s.doc_id = t.doc_id
    JOIN quality_results q ON q.partition_date = $day AND q.doc_id = s.doc_id  -- every staged row has one
) TO '{path}' (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE 100000, ROW_GROUP_SIZE_BYTES 16777216);
