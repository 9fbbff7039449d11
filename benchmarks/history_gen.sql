-- Synthetic history for benchmarks/bench_history.py and freshdata_tests/test_history_queries.py.
-- Days $first .. $first + $days - 1, $n documents' worth of URLs per day; every table of the pipeline gets
-- rows shaped like a real day's (states, reasons, retries over consecutive days, known URLs, over-budget
-- URLs fetched on a later day, duplicates, rejects, snapshot rows). Texts: $chars characters in documents
-- (and in quality_results / snapshot_documents for days >= $full_from, else short or NULL).
-- Variables g (global URL index), k (day index), i (index within the day). f = g's outcome bucket 0..99.
CREATE OR REPLACE TEMP TABLE gen_urls AS
SELECT g, g // $n AS k, g % $n AS i, hash(g) % 100 AS f,
       'src' || (g % 37) AS source,
       'https://www.site' || (g % 37) || '.example/news/' || (g // 7) || '/article-' || g AS url
FROM range($days * $n) t(g);

-- Attempts: URLs of bucket f < 4 fail transiently first and come back on the next days (up to 3 attempts,
-- the last one fetched for half of them); f = 4 fails for good (http_404), f = 5 is deferred once then fetched.
CREATE OR REPLACE TEMP TABLE gen_attempts AS
SELECT u.g, u.k + j AS k, u.source, u.url, j,
       CASE WHEN u.f < 4 AND (j < u.g % 3 OR (u.g // 3) % 2 = 1) THEN 'failed'
            WHEN u.f = 4 THEN 'failed'
            WHEN u.f = 5 AND j = 0 THEN 'deferred'
            ELSE 'fetched' END AS state,
       CASE WHEN u.f < 4 AND (j < u.g % 3 OR (u.g // 3) % 2 = 1) THEN (['timeout', 'http_503', 'connect_error'])[1 + u.g % 3]
            WHEN u.f = 4 THEN 'http_404'
            WHEN u.f = 5 AND j = 0 THEN 'crawl_delay'
            END AS reason
FROM gen_urls u, range(3) r(j)
WHERE (j = 0 OR (u.f < 4 AND j <= u.g % 3) OR (u.f = 5 AND j = 1)) AND u.k + j < $days;

INSERT INTO discovered_urls (partition_date, url, source, found_in, published_at, state, reason)
SELECT $first + (a.k)::INTEGER, a.url, a.source,
       CASE WHEN a.j = 0 THEN 'https://www.site' || (a.g % 37) || '.example/feed.xml'
            ELSE 'retry:' || ($first + ((a.k - 1))::INTEGER)::VARCHAR END,
       TIMESTAMPTZ '2024-01-01 00:00:00+00' + to_hours((a.g // 10)::INTEGER), 'new', NULL
FROM gen_attempts a
UNION ALL  -- over budget today, fetched the next day (a retry row) for 70 %, over budget twice for the rest
SELECT $first + ((u.k + j))::INTEGER, u.url || '-ob', u.source, 'https://www.site' || (u.g % 37) || '.example/feed.xml',
       TIMESTAMPTZ '2024-01-01 00:00:00+00' + to_hours((u.g // 10)::INTEGER),
       CASE WHEN j = 0 OR (j = 1 AND u.f >= 85) THEN 'over_budget' ELSE 'new' END,
       CASE WHEN j = 0 OR (j = 1 AND u.f >= 85) THEN 'max_documents_per_run=100' END
FROM gen_urls u, range(3) r(j)
WHERE u.i % 10 = 9 AND (j <= 1 OR u.f >= 85) AND u.k + j < $days
UNION ALL  -- listed again on a later day: known
SELECT $first + ((u.k + 3))::INTEGER, u.url, u.source, 'https://www.site' || (u.g % 37) || '.example/feed.xml',
       NULL, 'known', 'fetched_before'
FROM gen_urls u WHERE u.i % 5 = 1 AND u.f >= 6 AND u.k + 3 < $days
UNION ALL
SELECT $first + (u.k)::INTEGER, u.url || '/tag/x', u.source, 'https://www.site' || (u.g % 37) || '.example/feed.xml',
       NULL, 'excluded_by_rule', 'include_exclude'
FROM gen_urls u WHERE u.i % 20 = 3;

CREATE OR REPLACE TEMP TABLE gen_fetched AS
SELECT k, source, url, state, reason, j, g FROM gen_attempts
UNION ALL
SELECT (u.k + j), u.source, u.url || '-ob', 'fetched', NULL, j, u.g
FROM gen_urls u, range(3) r(j)
WHERE u.i % 10 = 9 AND ((j = 1 AND u.f < 85) OR (j = 2 AND u.f >= 85)) AND u.k + j < $days;

INSERT INTO fetch_log (partition_date, stage, source, kind, url, final_url, state, reason, detail, http_status,
                       content_type, encoding, etag, last_modified, fetched_at, elapsed_s, body_bytes, content_hash,
                       warc_file, warc_offset, n_links)
SELECT $first + (k)::INTEGER, 'fetch', source, 'document', url, url, state, reason, NULL,
       CASE state WHEN 'fetched' THEN 200 WHEN 'deferred' THEN NULL ELSE
           CASE reason WHEN 'http_404' THEN 404 WHEN 'http_503' THEN 503 END END,
       'text/html', 'utf-8',
       CASE WHEN state = 'fetched' AND g % 3 = 0 THEN '"' || md5(url) || '"' END,
       CASE WHEN state = 'fetched' AND g % 4 = 0 THEN 'Mon, 01 Jan 2024 00:00:00 GMT' END,
       TIMESTAMPTZ '2024-01-01 00:00:00+00' + to_days(k::INTEGER) + to_microseconds((g % $n) * 1000 + j),
       0.2, 30000 + g % 20000, md5(url || 'body'), 'date=' || ($first + (k)::INTEGER) || '/fetch-1.warc.gz',
       (g % $n) * 12000, NULL
FROM gen_fetched
UNION ALL  -- one conditional feed request per source and day
SELECT $first + (k)::INTEGER, 'discovery', 'src' || s, 'feed', 'https://www.site' || s || '.example/feed.xml',
       NULL, CASE WHEN k % 2 = 0 THEN 'fetched' ELSE 'not_modified' END, NULL, NULL,
       CASE WHEN k % 2 = 0 THEN 200 ELSE 304 END, 'application/rss+xml', 'utf-8', '"feed-' || k || '"',
       'Mon, 01 Jan 2024 00:00:00 GMT', TIMESTAMPTZ '2024-01-01 00:00:00+00' + to_days(k::INTEGER), 0.1, 9000,
       md5('feed' || s || k), 'date=' || ($first + (k)::INTEGER) || '/discovery-1.warc.gz', s * 10000, 40
FROM range($days) d(k), range(37) t(s);

INSERT INTO discovery_days SELECT DISTINCT partition_date FROM discovered_urls WHERE partition_date >= $first;

INSERT INTO fetch_keys (partition_date, url_key, state, reason)
SELECT partition_date, md5_number(url), state, reason FROM fetch_log
WHERE stage = 'fetch' AND kind = 'document' AND partition_date >= $first ORDER BY partition_date;

CREATE OR REPLACE TEMP TABLE gen_docs AS
SELECT k, g, source, url, substr(md5(url), 1, 16) AS doc_id, g % $n AS i,
       CASE WHEN g % 50 = 7 THEN 'extraction_failed' ELSE 'extracted' END AS state
FROM gen_fetched WHERE state = 'fetched';

INSERT INTO extractions
SELECT $first + (k)::INTEGER, url, doc_id, state, CASE WHEN state <> 'extracted' THEN 'empty_text' END
FROM gen_docs;

INSERT INTO documents
SELECT $first + (k)::INTEGER, doc_id, url, url, source,
       TIMESTAMPTZ '2024-01-01 00:00:00+00' + to_days(k::INTEGER) + to_microseconds(i * 1000),
       TIMESTAMPTZ '2024-01-01 00:00:00+00' + to_hours((g // 10)::INTEGER),
       'Title of article ' || g, 'Author ' || (g % 300), 'Site ' || (g % 37), 'www.site' || (g % 37) || '.example',
       'A description of article ' || g, ['news'], ['tag' || (g % 20)], MAP {'region': 'eu'}
FROM gen_docs WHERE state = 'extracted';

-- The documents' texts (written to per-day texts files by bench_history.generate): words of varying hashes,
-- compresses about like prose. kind: extracted for every day; quality (and the published days' snapshot) from
-- day index $full_from on, else short (history snapshot texts).
CREATE OR REPLACE TEMP TABLE gen_texts AS
SELECT $first + (k)::INTEGER AS partition_date, doc_id, k,
       array_to_string(list_transform(range(($chars // 9)::BIGINT), lambda w: substr(md5((g * 7919 + w % 397)::VARCHAR), 1, 8)), ' ') AS text
FROM gen_docs WHERE state = 'extracted';

INSERT INTO dedup_decisions
SELECT $first + (k)::INTEGER, doc_id, i,
       CASE WHEN g % 20 = 1 THEN 'exact_duplicate' WHEN g % 20 = 2 THEN 'near_duplicate' ELSE 'fresh' END,
       CASE WHEN g % 20 IN (1, 2) THEN substr(md5(url || 'orig'), 1, 16) END,
       CASE WHEN g % 20 IN (1, 2) THEN $first + ((k // 2))::INTEGER END,
       CASE WHEN g % 20 = 1 THEN 1.0 WHEN g % 20 = 2 THEN 0.85 END,
       false, hash(g), $chars // 9
FROM gen_docs WHERE state = 'extracted';

INSERT INTO dedup_days
SELECT $first + (k)::INTEGER, md5(k::VARCHAR), count(*), count(*), 0, 0, 0
FROM gen_docs WHERE state = 'extracted' GROUP BY k;

-- signatures: one file per day (written by bench_history.generate through freshdata.texts)
CREATE OR REPLACE TEMP TABLE gen_signatures AS
SELECT $first + (k)::INTEGER AS partition_date, i::INTEGER AS ord, hash(g) AS text_hash, NULL::BLOB AS sig
FROM gen_docs WHERE state = 'extracted';

INSERT INTO quality_results BY NAME
SELECT $first + (x.k)::INTEGER AS partition_date, x.doc_id, x.g % 10 <> 4 AS kept,
       CASE WHEN x.g % 10 = 4 THEN 'gopher_quality:too_few_words' END AS reason,
       'en' AS language, 0.95 AS language_score,
       x.source, 'site' || (x.g % 37) || '.example' AS registered_domain, 3 AS url_path_depth,
       $chars // 9 AS word_count, $chars AS char_count, 12.5 + x.g % 48 AS fetch_lag_hours,
       0.5 + (x.g % 50) / 100 AS quality_score, 'News' AS topic, 0.8 AS topic_score, 'article' AS format,
       0.7 AS format_score, 0 AS pii_email, 0 AS pii_ip, 0 AS pii_phone, 0 AS pii_card, 0 AS pii_ssn,
       MAP {'gopher_quality.n_words': 100.0} AS stats, MAP {'region': 'eu'} AS source_tags, 'Latn' AS script
FROM gen_docs x
JOIN documents d ON d.partition_date = $first + (x.k)::INTEGER AND d.doc_id = x.doc_id
WHERE x.state = 'extracted' AND x.g % 20 NOT IN (1, 2);

-- Published days (< $first + $published): their snapshot rows (texts short unless >= $full_from) and manifest.
INSERT INTO snapshot_documents BY NAME
SELECT q.partition_date AS snapshot_date, d.doc_id, d.url, d.source, d.title, d.author, d.sitename,
       d.published_at, d.fetched_at, q.fetch_lag_hours, q.language, q.language_score,
       q.registered_domain, q.url_path_depth, q.word_count, q.char_count, q.quality_score, q.topic, q.format,
       q.pii_email, q.pii_ip, q.pii_phone, q.pii_card, q.pii_ssn, d.categories, d.page_tags, d.source_tags,
       q.script
FROM quality_results q
JOIN documents d ON d.partition_date = q.partition_date AND d.doc_id = q.doc_id
WHERE q.partition_date < $first + $published AND q.kept
ORDER BY q.partition_date, d.doc_id;

INSERT INTO snapshot_keys
SELECT snapshot_date, md5_number_lower(doc_id), md5_number_lower(url)
FROM snapshot_documents WHERE snapshot_date < $first + $published;

INSERT INTO snapshot_manifest (snapshot_date, n_documents, n_discovered, n_extracted, n_exact_duplicate,
                               n_near_duplicate, n_rejected, export_path, content_hash, config_hash, recipe_hash,
                               freshdata_version, trafilatura_version, datasketch_version, duckdb_version, created_at)
SELECT snapshot_date, count(*), 0, 0, 0, 0, 0,
       'snapshots/snapshot_date=' || snapshot_date || '/part-synthetic.parquet', md5(snapshot_date::VARCHAR),
       'c', 'r', '0', '0', '0', '0', TIMESTAMPTZ '2024-01-01 00:00:00+00'
FROM snapshot_documents WHERE snapshot_date < $first + $published GROUP BY snapshot_date;

DROP TABLE gen_urls;
DROP TABLE gen_attempts;
DROP TABLE gen_fetched;
DROP TABLE gen_docs;
