-- Texts of the day's own documents $ids from its texts file ($texts, sorted by doc_id: row groups skipped by
-- min/max): dedup's exact verification of a borderline pair within the day.
SELECT doc_id, text
FROM read_parquet($texts)
WHERE doc_id IN (SELECT unnest($ids::VARCHAR[]));
