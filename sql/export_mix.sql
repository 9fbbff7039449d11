-- A training-mix export: {where} is the user's predicate on snapshot columns, {sample} an optional
-- per-source cap. Ordered for reproducible output.
SELECT * EXCLUDE (rank_in_source) FROM (
    SELECT *, row_number() OVER (PARTITION BY source ORDER BY hash(doc_id), doc_id) AS rank_in_source
    FROM snapshots
    WHERE snapshot_date BETWEEN $date_from AND $date_to AND ({where})
)
WHERE rank_in_source <= $per_source
ORDER BY snapshot_date, source, doc_id
