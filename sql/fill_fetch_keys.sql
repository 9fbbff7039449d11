-- Keys of the days' document fetches that have none yet (homes from before fetch_keys: freshdata.catalog).
INSERT INTO fetch_keys
SELECT partition_date, md5_number(url), state, reason
FROM fetch_log
WHERE stage = 'fetch' AND kind = 'document'
  AND partition_date NOT IN (SELECT DISTINCT partition_date FROM fetch_keys)
ORDER BY partition_date;
