DELETE FROM extractions WHERE partition_date = $day;
DELETE FROM documents WHERE partition_date = $day;
