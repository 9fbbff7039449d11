-- The days before $day the vector index must hold, in the order they are added.
SELECT partition_date FROM semantic_days WHERE partition_date < $day AND n_documents > 0 ORDER BY 1;
