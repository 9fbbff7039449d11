-- The day's kept documents bound for the snapshot by topic, format, language, length and story size
-- (freshdata.semantic.diversity).
WITH kept AS (
    SELECT q.topic, q.format, q.language, q.word_count, s.story_id, s.semantic_duplicate_of
    FROM quality_results q
    JOIN semantic_documents s ON s.partition_date = q.partition_date AND s.doc_id = q.doc_id
    WHERE q.partition_date = $day AND q.kept AND NOT s.dropped  -- as the snapshot (insert_snapshot_documents)
), sizes AS (SELECT story_id, count(*) AS n FROM kept GROUP BY story_id)
SELECT 'topic' AS dimension, coalesce(topic, '?') AS value, count(*) AS n FROM kept GROUP BY ALL
UNION ALL SELECT 'format', coalesce(format, '?'), count(*) FROM kept GROUP BY ALL
UNION ALL SELECT 'language', coalesce(language, '?'), count(*) FROM kept GROUP BY ALL
UNION ALL SELECT 'length', CASE WHEN word_count < 200 THEN '0-199 words' WHEN word_count < 500 THEN '200-499 words'
                                WHEN word_count < 1000 THEN '500-999 words' WHEN word_count < 2000 THEN '1000-1999 words'
                                ELSE '2000+ words' END, count(*) FROM kept GROUP BY ALL
UNION ALL SELECT 'story_size', CASE WHEN n = 1 THEN '1 document' WHEN n <= 3 THEN '2-3 documents'
                                    WHEN n <= 10 THEN '4-10 documents' ELSE '11+ documents' END, sum(n)
          FROM sizes GROUP BY ALL
UNION ALL SELECT 'semantic_duplicate', CASE WHEN semantic_duplicate_of IS NULL THEN 'no' ELSE 'yes' END, count(*)
          FROM kept GROUP BY ALL
ORDER BY dimension, n DESC, value;
