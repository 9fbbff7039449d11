-- Kept documents that dedup marked as duplicates (must be none).
SELECT s.doc_id, x.status, x.duplicate_of
FROM snapshot_documents s
JOIN dedup_decisions x ON x.partition_date = s.snapshot_date AND x.doc_id = s.doc_id
WHERE s.snapshot_date = $day AND x.status <> 'fresh'
LIMIT 20;
