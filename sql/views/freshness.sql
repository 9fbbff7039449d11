-- Per source: publish→ingest latency (p50/p90 hours) and days since its last new document.
CREATE OR REPLACE VIEW freshness AS
SELECT source,
       count(*) AS documents,
       round(median(fetch_lag_hours), 1) AS p50_publish_to_ingest_hours,
       round(quantile_cont(fetch_lag_hours, 0.9), 1) AS p90_publish_to_ingest_hours,
       max(snapshot_date) AS last_new_document,
       (SELECT max(snapshot_date) FROM snapshots) - max(snapshot_date) AS days_since_last_new_document
FROM snapshots GROUP BY source ORDER BY source;
