-- The day's kept documents (but the dropped semantic duplicates), joined back to their crawl metadata (texts: the
-- quality texts file, stage_snapshot_texts).
INSERT INTO snapshot_documents BY NAME
SELECT q.partition_date AS snapshot_date, d.doc_id, d.url, d.source, d.title, d.author, d.sitename,
       d.published_at, d.fetched_at, q.fetch_lag_hours, q.language, q.language_score,
       q.registered_domain, q.url_path_depth, q.word_count, q.char_count, q.quality_score, q.topic, q.format,
       q.pii_email, q.pii_ip, q.pii_phone, q.pii_card, q.pii_ssn, d.categories, d.page_tags, d.source_tags,
       q.script,  -- stats stay in quality_results only (export_snapshot_parquet joins them)
       s.semantic_duplicate_of, s.semantic_similarity, s.story_id, s.personas
FROM quality_results q
JOIN documents d ON d.partition_date = q.partition_date AND d.doc_id = q.doc_id
LEFT JOIN semantic_documents s ON s.partition_date = q.partition_date AND s.doc_id = q.doc_id
WHERE q.partition_date = $day AND q.kept
  AND NOT coalesce(s.dropped, false)  -- a semantic duplicate dropped by semantic.duplicates: drop (url_funnel)
ORDER BY d.doc_id;

-- their keys, for check_snapshot_repeats
INSERT INTO snapshot_keys
SELECT snapshot_date, md5_number_lower(doc_id), md5_number_lower(url) FROM snapshot_documents WHERE snapshot_date = $day;
