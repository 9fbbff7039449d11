-- Keys of the staged snapshot days that have none yet (homes from before snapshot_keys: freshdata.catalog).
INSERT INTO snapshot_keys
SELECT snapshot_date, md5_number_lower(doc_id), md5_number_lower(url)
FROM snapshot_documents
WHERE snapshot_date NOT IN (SELECT DISTINCT snapshot_date FROM snapshot_keys);
