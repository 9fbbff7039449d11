INSERT INTO dedup_params (key, value) VALUES ($key, $value);
