-- Views over the pipeline tables (run after every create_*.sql, by name order).

-- One row per discovered URL per day with its single final state and reason: the funnel's atoms.
CREATE OR REPLACE VIEW url_funnel AS
SELECT d.partition_date, d.url, d.source, e.doc_id,
       CASE
           WHEN d.state <> 'new' THEN d.state
           WHEN f.state IS NULL THEN 'not_fetched'
           WHEN f.state <> 'fetched' THEN f.state
           WHEN e.state IS NULL THEN 'fetched'
           WHEN e.state <> 'extracted' THEN e.state
           WHEN x.status IS NULL THEN 'extracted'
           WHEN x.status <> 'fresh' THEN x.status
           WHEN q.doc_id IS NULL THEN 'fresh'
           WHEN q.kept AND s.dropped THEN 'semantic_duplicate'
           WHEN q.kept THEN 'kept'
           ELSE 'rejected'
       END AS final_state,
       CASE
           WHEN d.state <> 'new' THEN d.reason
           WHEN f.state IS NULL THEN NULL
           WHEN f.state <> 'fetched' THEN f.reason
           WHEN e.state IS NULL THEN NULL
           WHEN e.state <> 'extracted' THEN e.reason
           WHEN x.status IS NULL THEN NULL
           WHEN x.status <> 'fresh' THEN 'duplicate_of:' || x.duplicate_of
           WHEN q.doc_id IS NULL THEN NULL
           WHEN q.kept AND s.dropped  -- semantic_duplicate_of:<earlier doc_id> (<cosine>)
               THEN 'semantic_duplicate_of:' || s.semantic_duplicate_of || printf(' (%.2f)', s.semantic_similarity)
           ELSE q.reason
       END AS reason
FROM discovered_urls d
LEFT JOIN fetch_log f
       ON f.partition_date = d.partition_date AND f.url = d.url AND f.stage = 'fetch' AND f.kind = 'document'
LEFT JOIN extractions e ON e.partition_date = d.partition_date AND e.url = d.url
LEFT JOIN dedup_decisions x ON x.partition_date = d.partition_date AND x.doc_id = e.doc_id
LEFT JOIN quality_results q ON q.partition_date = d.partition_date AND q.doc_id = e.doc_id
LEFT JOIN semantic_documents s ON s.partition_date = d.partition_date AND s.doc_id = e.doc_id;

-- Per-day funnel: discovered → new → fetched → extracted → fresh → kept, with every side exit counted
-- (semantic_duplicate last: the stored column order, vocab.FUNNEL_COLUMNS).
CREATE OR REPLACE VIEW day_funnel AS
SELECT partition_date,
       count(*) AS discovered,
       count(*) FILTER (WHERE final_state = 'known') AS known,
       count(*) FILTER (WHERE final_state = 'excluded_by_rule') AS excluded_by_rule,
       count(*) FILTER (WHERE final_state = 'over_budget') AS over_budget,
       count(*) FILTER (WHERE final_state NOT IN ('known', 'excluded_by_rule', 'over_budget')) AS new,
       count(*) FILTER (WHERE final_state = 'not_modified') AS not_modified,
       count(*) FILTER (WHERE final_state = 'robots_disallowed') AS robots_disallowed,
       count(*) FILTER (WHERE final_state = 'ai_opt_out') AS ai_opt_out,
       count(*) FILTER (WHERE final_state = 'blocked_address') AS blocked_address,
       count(*) FILTER (WHERE final_state = 'deferred') AS deferred,
       count(*) FILTER (WHERE final_state = 'failed') AS failed,
       count(*) FILTER (WHERE final_state = 'not_fetched') AS not_fetched,
       count(*) FILTER (WHERE final_state IN ('fetched', 'extraction_failed', 'extracted', 'exact_duplicate',
                                              'near_duplicate', 'fresh', 'kept', 'rejected',
                                              'semantic_duplicate')) AS fetched,
       count(*) FILTER (WHERE final_state = 'extraction_failed') AS extraction_failed,
       count(*) FILTER (WHERE final_state IN ('extracted', 'exact_duplicate', 'near_duplicate', 'fresh',
                                              'kept', 'rejected', 'semantic_duplicate')) AS extracted,
       count(*) FILTER (WHERE final_state = 'exact_duplicate') AS exact_duplicate,
       count(*) FILTER (WHERE final_state = 'near_duplicate') AS near_duplicate,
       count(*) FILTER (WHERE final_state IN ('fresh', 'kept', 'rejected', 'semantic_duplicate')) AS fresh,
       count(*) FILTER (WHERE final_state = 'rejected') AS rejected,
       count(*) FILTER (WHERE final_state = 'kept') AS kept,
       count(*) FILTER (WHERE final_state = 'semantic_duplicate') AS semantic_duplicate
FROM url_funnel
GROUP BY partition_date;
