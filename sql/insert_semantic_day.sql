INSERT INTO semantic_days VALUES ($day, $n_documents);
