-- The day's kept documents by language (with script), topic and format: what the quality stage decided.
SELECT 'language' AS tag,
       CASE WHEN language = 'und' THEN 'und/' || coalesce(script, '?') ELSE coalesce(language, '?') END AS value,
       count(*) AS n
FROM quality_results WHERE partition_date = $day AND kept GROUP BY ALL
UNION ALL
SELECT 'topic', coalesce(topic, '?'), count(*) FROM quality_results WHERE partition_date = $day AND kept GROUP BY ALL
UNION ALL
SELECT 'format', coalesce(format, '?'), count(*) FROM quality_results WHERE partition_date = $day AND kept GROUP BY ALL
ORDER BY tag, n DESC, value;
