-- The day's kept documents by language (with script), topic and format: what the quality stage kept, but the
-- semantic duplicates dropped by semantic.duplicates: drop (the funnel's `kept`, the snapshot's documents).
WITH kept AS (
    SELECT q.language, q.script, q.topic, q.format
    FROM quality_results q
    LEFT JOIN semantic_documents s ON s.partition_date = q.partition_date AND s.doc_id = q.doc_id
    WHERE q.partition_date = $day AND q.kept AND NOT coalesce(s.dropped, false)
)
SELECT 'language' AS tag,
       CASE WHEN language = 'und' THEN 'und/' || coalesce(script, '?') ELSE coalesce(language, '?') END AS value,
       count(*) AS n
FROM kept GROUP BY ALL
UNION ALL
SELECT 'topic', coalesce(topic, '?'), count(*) FROM kept GROUP BY ALL
UNION ALL
SELECT 'format', coalesce(format, '?'), count(*) FROM kept GROUP BY ALL
ORDER BY tag, n DESC, value;
