SELECT doc_id, text FROM snapshot_documents WHERE snapshot_date = $day ORDER BY doc_id;
