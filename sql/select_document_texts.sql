-- Texts of history documents for exact verification of borderline dedup candidates: the doc_ids $ids of
-- history day $doc_day (< $day), the day whose dedup index entry (signature, text_hash) matched. Only that
-- day's extracted texts file ($texts) is read, sorted by doc_id (row groups skipped by min/max). Dedup checks
-- every returned text against the stored text_hash (a mismatch falls back to the MinHash estimate).
SELECT doc_id, text
FROM read_parquet($texts)
WHERE $doc_day < $day AND doc_id IN (SELECT unnest($ids::VARCHAR[]));
