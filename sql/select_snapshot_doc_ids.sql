-- The staged snapshot's documents of day $day, by doc_id (the email/card check reads their texts from the
-- day's snapshot texts file in batches).
SELECT doc_id
FROM snapshot_documents
WHERE snapshot_date = $day
ORDER BY doc_id;
