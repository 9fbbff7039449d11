-- Publish -> ingest latency per day and source (p50/p90 hours): publication time from the feed or sitemap item
-- (else the page's own date), ingest time when the page was fetched. Documents without a publication time are
-- counted in `documents` but not in the figures.
CREATE OR REPLACE VIEW latency AS
SELECT snapshot_date, source,
       count(*) AS documents,
       count(fetch_lag_hours) AS dated,
       round(median(fetch_lag_hours), 2) AS p50_publish_to_ingest_hours,
       round(quantile_cont(fetch_lag_hours, 0.9), 2) AS p90_publish_to_ingest_hours
FROM snapshots GROUP BY ALL ORDER BY snapshot_date, source;
