-- The per-day funnel rows stored at each day's staging/publication (table funnel_days, one row per day):
-- the same rows as view day_funnel, without recomputing all history.
COPY (SELECT * FROM funnel_days ORDER BY partition_date) TO '{path}' (FORMAT parquet);
