-- The stories the day's kept documents bound for the snapshot belong to, biggest first: size and spread over all
-- days so far.
WITH today AS (SELECT DISTINCT story_id FROM semantic_documents WHERE partition_date = $day AND NOT dropped)
SELECT s.story_id, count(*) AS size, count(*) FILTER (WHERE s.partition_date = $day) AS today,
       min(s.partition_date) AS first_seen, max(s.partition_date) AS last_seen,
       count(DISTINCT q.source) AS sources, string_agg(DISTINCT q.language, ',' ORDER BY q.language) AS languages,
       arg_min(d.title, s.vector_key) AS title
FROM semantic_documents s
JOIN today USING (story_id)
JOIN quality_results q ON q.partition_date = s.partition_date AND q.doc_id = s.doc_id
JOIN documents d ON d.partition_date = s.partition_date AND d.doc_id = s.doc_id
WHERE s.partition_date <= $day AND NOT s.dropped  -- as in the snapshots (select_stats_stories)
GROUP BY s.story_id
ORDER BY size DESC, today DESC, s.story_id
LIMIT $limit;
