-- Earlier days with quality results but no semantic decision: deciding $day now would miss their documents.
SELECT DISTINCT partition_date FROM quality_results WHERE partition_date < $day
EXCEPT SELECT partition_date FROM semantic_days
ORDER BY 1;
