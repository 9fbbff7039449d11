-- Texts of history documents for exact verification of borderline dedup candidates: the doc_ids $ids of
-- history day $doc_day (< $day), the day whose dedup index entry (signature, text_hash) matched. Only that
-- day's rows are read (partition_date's zone maps skip every other day). Dedup checks every returned text
-- against the stored text_hash (a mismatch falls back to the MinHash estimate).
SELECT doc_id, text
FROM documents
WHERE partition_date = $doc_day AND partition_date < $day AND doc_id IN (SELECT unnest($ids::VARCHAR[]));
