-- Per-source re-check decisions (freshdata.crawl.recheck): one row per source per discovery run, so the table is
-- both each source's state (its latest row) and its history. A run decides from rows with an earlier as_of only,
-- so re-running a partition (delete_source_checks_partition, then insert) or a backfill decides the same.
CREATE TABLE IF NOT EXISTS source_checks (
    partition_date DATE NOT NULL,        -- the discovery partition that decided
    as_of          TIMESTAMPTZ NOT NULL, -- the run's clock (a daily partition: the end of its day)
    source         VARCHAR NOT NULL,
    kind           VARCHAR NOT NULL,     -- feed | sitemap | seed
    decision       VARCHAR NOT NULL,     -- checked | not_due
    outcome        VARCHAR,              -- new_items | unchanged | not_modified | failed (NULL when not_due)
    reason         VARCHAR,              -- not_due: recheck_interval; failed: the fetch's reason
    n_new          INTEGER NOT NULL,     -- URLs the source listed that discovery called new (retries not counted)
    interval_s     DOUBLE NOT NULL,      -- the re-check interval after this run
    next_due_at    TIMESTAMPTZ NOT NULL,
    checked_at     TIMESTAMPTZ,          -- the last successful check (this one, when it succeeded)
    events         DOUBLE NOT NULL,      -- the rate estimate: decayed new items ...
    exposure_s     DOUBLE NOT NULL       -- ... over decayed seconds observed
);
