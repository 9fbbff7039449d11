-- The funnel export's rows, one per day (the columns of view day_funnel, in its order). Written with the
-- day's snapshot (staged, then again at publication), so each publication exports these few rows instead of
-- recomputing day_funnel over all history. A day the table does not have yet (a home from before this
-- table, a day that stopped before its snapshot), or that no longer has any discovered URL, is
-- (re)computed at the next publication.
CREATE TABLE IF NOT EXISTS funnel_days (
    partition_date    DATE NOT NULL,
    discovered        BIGINT,
    known             BIGINT,
    excluded_by_rule  BIGINT,
    over_budget       BIGINT,
    new               BIGINT,
    not_modified      BIGINT,
    robots_disallowed BIGINT,
    ai_opt_out        BIGINT,
    blocked_address   BIGINT,
    deferred          BIGINT,
    failed            BIGINT,
    not_fetched       BIGINT,
    fetched           BIGINT,
    extraction_failed BIGINT,
    extracted         BIGINT,
    exact_duplicate   BIGINT,
    near_duplicate    BIGINT,
    fresh             BIGINT,
    rejected          BIGINT,
    kept              BIGINT
);
-- Kept by quality but dropped as a semantic duplicate (semantic.duplicates: drop). Last, not before `kept`: a home
-- from before this state gets the column appended here, so every home stores and exports the same column order
-- (vocab.FUNNEL_COLUMNS); its earlier rows get 0, which they were (no setting dropped anything then).
ALTER TABLE funnel_days ADD COLUMN IF NOT EXISTS semantic_duplicate BIGINT DEFAULT 0;
