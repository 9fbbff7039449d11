-- The staged snapshot's texts, from the file it was staged from ($texts); NULL when the file lacks a document.
SELECT s.doc_id, t.text
FROM snapshot_documents s LEFT JOIN read_parquet($texts) t ON t.doc_id = s.doc_id
WHERE s.snapshot_date = $day
ORDER BY s.doc_id;
