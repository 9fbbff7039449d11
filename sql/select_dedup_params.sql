SELECT key, value FROM dedup_params ORDER BY key;
