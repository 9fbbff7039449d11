SELECT vector_key, vector FROM semantic_documents WHERE partition_date = $day ORDER BY vector_key;
