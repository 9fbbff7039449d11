-- A training mix: `matching` is the snapshots' rows between the two days that pass the user's --where, applied
-- by freshdata.export as one filter expression of DuckDB's relational API (never spliced into this text).
-- {per_source} (an integer) caps the documents per source with a stable sample; ordered for reproducible output.
SELECT * EXCLUDE (rank_in_source) FROM (
    SELECT *, row_number() OVER (PARTITION BY source ORDER BY hash(doc_id), doc_id) AS rank_in_source
    FROM matching
)
WHERE rank_in_source <= {per_source}
ORDER BY snapshot_date, source, doc_id
