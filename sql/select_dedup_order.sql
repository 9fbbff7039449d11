-- The day's documents in the deterministic order that decides "earliest" within a day, without texts: dedup
-- reads them from the day's extracted texts file in batches (freshdata.texts.batches).
SELECT doc_id, fetched_at, url
FROM documents
WHERE partition_date = $day
ORDER BY fetched_at, url;
