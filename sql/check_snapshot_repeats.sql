-- Documents of the day's snapshot whose doc id or URL is also in another day's snapshot.
SELECT s.doc_id, s.url, o.snapshot_date AS other_date
FROM snapshot_documents s
JOIN snapshot_documents o ON o.snapshot_date <> s.snapshot_date AND (o.doc_id = s.doc_id OR o.url = s.url)
WHERE s.snapshot_date = $day
LIMIT 20;
