-- Keys of the days' document fetches that have none yet (homes from before fetch_keys: freshdata.catalog).
INSERT INTO fetch_keys BY NAME
SELECT partition_date, md5_number(url) AS url_key, state, reason, hour
FROM fetch_log
WHERE stage = 'fetch' AND kind = 'document'
  AND partition_date NOT IN (SELECT DISTINCT partition_date FROM fetch_keys)
ORDER BY partition_date;
