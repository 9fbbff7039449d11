SELECT DISTINCT partition_date FROM documents WHERE partition_date < $day ORDER BY 1;
