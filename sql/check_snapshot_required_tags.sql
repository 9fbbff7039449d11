-- Kept documents missing a tag every training-mix query relies on.
SELECT doc_id,
       concat_ws(',', CASE WHEN url IS NULL THEN 'url' END, CASE WHEN source IS NULL THEN 'source' END,
                 CASE WHEN language IS NULL THEN 'language' END,
                 CASE WHEN registered_domain IS NULL THEN 'registered_domain' END,
                 CASE WHEN word_count IS NULL THEN 'word_count' END,
                 CASE WHEN fetched_at IS NULL THEN 'fetched_at' END) AS missing
FROM snapshot_documents
WHERE snapshot_date = $day
  AND (url IS NULL OR source IS NULL OR language IS NULL OR registered_domain IS NULL OR word_count IS NULL
       OR fetched_at IS NULL)
LIMIT 20;
