-- Figures for the snapshot's materialization metadata (plotted per partition in the UI).
SELECT count(*) AS kept,
       median(fetch_lag_hours) AS p50_publish_to_ingest_hours,
       quantile_cont(fetch_lag_hours, 0.9) AS p90_publish_to_ingest_hours
FROM snapshot_documents WHERE snapshot_date = $day;
