-- Crawl stages (discovery, fetch, extraction). Idempotent DDL, run on every connect.
-- The per-day tables have no PRIMARY KEY: a day's rows are replaced whole (delete + insert in one transaction),
-- and no query looks a row up by key; an index would cost ~50-90 bytes a row (freshdata.catalog migrates homes
-- that have one).
-- Every discovered URL of a day has exactly one row here; its final state is resolved by view url_funnel.
CREATE TABLE IF NOT EXISTS discovered_urls (
    partition_date DATE NOT NULL,
    url            VARCHAR NOT NULL,     -- normalized
    source         VARCHAR NOT NULL,
    found_in       VARCHAR NOT NULL,     -- the feed / sitemap / seed page that listed it
    published_at   TIMESTAMPTZ,          -- feed entry date or sitemap <lastmod>
    state          VARCHAR NOT NULL,     -- new | known | excluded_by_rule | over_budget
    reason         VARCHAR
);
-- The round of the day that listed it: 0-23 for an hourly run, NULL for the daily run. A URL has one row per
-- day whichever round listed it first; re-running a round replaces that round's rows (intraday runs).
ALTER TABLE discovered_urls ADD COLUMN IF NOT EXISTS hour SMALLINT;

-- The days that have discovered URLs, one row each: publication finds the days whose funnel row is missing or
-- left over (select_funnel_stale_days) without a DISTINCT over every discovered URL of history. Written and
-- deleted with the day's discovered_urls rows (insert_discovered_urls, delete_discovery_partition);
-- freshdata.catalog fills it for homes from before it existed.
CREATE TABLE IF NOT EXISTS discovery_days (
    partition_date DATE NOT NULL
);

-- Every HTTP fetch a stage made (or reused), with the archived record it produced.
-- stage = 'discovery' (feeds, sitemaps, seed pages, robots.txt) or 'fetch' (documents).
CREATE TABLE IF NOT EXISTS fetch_log (
    partition_date DATE NOT NULL,
    stage          VARCHAR NOT NULL,
    source         VARCHAR NOT NULL,
    kind           VARCHAR NOT NULL,     -- feed | sitemap | seed | robots | document
    url            VARCHAR NOT NULL,
    final_url      VARCHAR,
    state          VARCHAR NOT NULL,     -- fetched | not_modified | robots_disallowed | ai_opt_out | blocked_address | deferred | failed
    reason         VARCHAR,
    detail         VARCHAR,
    http_status    INTEGER,
    content_type   VARCHAR,
    encoding       VARCHAR,
    etag           VARCHAR,
    last_modified  VARCHAR,
    fetched_at     TIMESTAMPTZ NOT NULL,
    elapsed_s      DOUBLE,
    body_bytes     BIGINT,
    content_hash   VARCHAR,              -- sha256 of the decoded body
    warc_file      VARCHAR,              -- relative to <home>/raw
    warc_offset    BIGINT,
    n_links        INTEGER               -- links found, for feeds/sitemaps/seeds
);
ALTER TABLE fetch_log ADD COLUMN IF NOT EXISTS hour SMALLINT;  -- the round (see discovered_urls.hour)

-- The document fetches of fetch_log (stage 'fetch', kind 'document') by a 128-bit md5 of their URL, with their
-- outcome: select_known_urls looks the day's candidates up here, a scan of integers and two small dictionary
-- columns instead of every history URL string. Written and deleted with the day's fetch_log rows
-- (insert_fetch_log, delete_fetch_partition); freshdata.catalog fills it for homes from before it existed.
CREATE TABLE IF NOT EXISTS fetch_keys (
    partition_date DATE NOT NULL,
    url_key        UHUGEINT NOT NULL,    -- md5_number(url)
    state          VARCHAR NOT NULL,
    reason         VARCHAR
);
ALTER TABLE fetch_keys ADD COLUMN IF NOT EXISTS hour SMALLINT;

CREATE TABLE IF NOT EXISTS extractions (
    partition_date DATE NOT NULL,
    url            VARCHAR NOT NULL,
    doc_id         VARCHAR NOT NULL,
    state          VARCHAR NOT NULL,     -- extracted | extraction_failed
    reason         VARCHAR
);
-- Homes from before: extractions had an elapsed_s column nothing ever wrote.
ALTER TABLE extractions DROP COLUMN IF EXISTS elapsed_s;

CREATE TABLE IF NOT EXISTS documents (
    partition_date DATE NOT NULL,
    doc_id         VARCHAR NOT NULL,
    url            VARCHAR NOT NULL,
    final_url      VARCHAR,
    source         VARCHAR NOT NULL,
    fetched_at     TIMESTAMPTZ NOT NULL,
    published_at   TIMESTAMPTZ,          -- feed/sitemap date, else trafilatura's date
    title          VARCHAR,
    author         VARCHAR,
    sitename       VARCHAR,
    hostname       VARCHAR,
    description    VARCHAR,
    categories     VARCHAR[],
    page_tags      VARCHAR[],
    source_tags    MAP(VARCHAR, VARCHAR)
    -- the text is in the day's texts file (table text_files, kind 'extracted'); older homes are migrated
);

-- The one definition of a transient fetch outcome: retried on later days (up to a few attempts in all),
-- never a reason to call a URL settled.
CREATE OR REPLACE MACRO transient_failure(state, reason) AS
    state = 'deferred' OR (state = 'failed' AND (
        reason IN ('timeout', 'connect_error', 'dns_error', 'network_error', 'protocol_error', 'tls_error',
                   'http_429', 'retry_after_too_long')
        OR reason LIKE 'http_5%'));

-- Each URL's document fetches on days in [since, before): how many were attempts (a `source_removed` row made
-- no request), whether every one failed transiently, the last day and source. Counts attempts for
-- select_retry_urls; select_known_urls counts the same way over fetch_keys (integer keys, all history).
CREATE OR REPLACE MACRO document_attempts(since, before) AS TABLE
    SELECT url, arg_max(source, fetched_at) AS source, max(partition_date) AS last_day,
           count(*) FILTER (WHERE reason IS DISTINCT FROM 'source_removed') AS n,
           bool_and(transient_failure(state, reason)) AS transient
    FROM fetch_log
    WHERE stage = 'fetch' AND kind = 'document' AND partition_date >= since AND partition_date < before
    GROUP BY url;

-- The frontier: every URL ever seen, when first seen, its last fetch and validators. A view over the
-- per-day tables, so re-running a day can never leave it inconsistent.
CREATE OR REPLACE VIEW frontier AS
WITH seen AS (
    SELECT url, min(partition_date) AS first_seen, arg_min(source, partition_date) AS source
    FROM discovered_urls GROUP BY url
    UNION ALL
    SELECT url, min(partition_date), arg_min(source, partition_date)
    FROM fetch_log WHERE stage = 'discovery' AND kind <> 'robots' GROUP BY url
), firsts AS (
    SELECT url, min(first_seen) AS first_seen, arg_min(source, first_seen) AS source FROM seen GROUP BY url
), last_fetch AS (
    SELECT url, max(fetched_at) AS last_fetch, arg_max(state, fetched_at) AS last_state,
           arg_max(coalesce(reason, ''), fetched_at) AS last_reason,
           arg_max(etag, fetched_at) FILTER (WHERE state = 'fetched') AS etag,
           arg_max(last_modified, fetched_at) FILTER (WHERE state = 'fetched') AS last_modified,
           arg_max(content_hash, fetched_at) FILTER (WHERE state = 'fetched') AS content_hash,
           count(*) AS attempts
    FROM fetch_log GROUP BY url
)
SELECT f.url, f.source, f.first_seen, l.last_fetch, l.last_state, nullif(l.last_reason, '') AS last_reason,
       l.etag, l.last_modified, l.content_hash, coalesce(l.attempts, 0) AS attempts
FROM firsts f LEFT JOIN last_fetch l USING (url);
