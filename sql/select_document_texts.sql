-- Texts of history documents for exact verification of borderline dedup candidates (doc_ids of days < $day).
-- The same doc_id (a URL hash) could appear on several days: the latest earlier day is taken, and dedup
-- checks every returned text against the stored text_hash (a mismatch falls back to the MinHash estimate).
SELECT doc_id, arg_max(text, partition_date) AS text
FROM documents
WHERE partition_date < $day AND doc_id IN (SELECT unnest($ids::VARCHAR[]))
GROUP BY doc_id;
