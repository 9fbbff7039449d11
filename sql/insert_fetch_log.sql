INSERT INTO fetch_log BY NAME SELECT * FROM staged;
-- the document fetches' keys, for select_known_urls (create_crawl.sql)
INSERT INTO fetch_keys BY NAME
SELECT partition_date, md5_number(url) AS url_key, state, reason, hour FROM staged WHERE stage = 'fetch' AND kind = 'document';
