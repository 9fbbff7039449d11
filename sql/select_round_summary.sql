-- One hourly round of a day (the demo's summary line): the URLs it listed first, the new ones, the ones kept in
-- the day's snapshot, and their publish -> snapshot minutes when the round ran at $round_end (the hour's end).
SELECT count(*) AS discovered,
       count(*) FILTER (WHERE d.state = 'new') AS new,
       count(s.doc_id) AS kept,
       median(epoch($round_end::TIMESTAMPTZ - s.published_at) / 60) AS p50_minutes,
       max(epoch($round_end::TIMESTAMPTZ - s.published_at) / 60) AS max_minutes
FROM discovered_urls d
LEFT JOIN snapshot_documents s ON s.snapshot_date = d.partition_date AND s.url = d.url
WHERE d.partition_date = $day AND d.hour = $hour;
