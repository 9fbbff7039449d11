-- Publish -> ingest latency of the day's staged snapshot per source (the snapshot's materialization metadata).
SELECT source, count(*) AS documents,
       median(fetch_lag_hours) AS p50_publish_to_ingest_hours,
       quantile_cont(fetch_lag_hours, 0.9) AS p90_publish_to_ingest_hours
FROM snapshot_documents WHERE snapshot_date = $day GROUP BY source ORDER BY source;
