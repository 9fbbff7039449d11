-- The day's documents in the deterministic order that decides "earliest" within a day.
SELECT doc_id, text, fetched_at, url FROM documents WHERE partition_date = $day ORDER BY fetched_at, url;
