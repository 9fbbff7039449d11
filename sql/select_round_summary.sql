-- One hourly round of a day (the summary line of `freshdata run --hour` and the demo): the URLs it listed first,
-- the new ones, the ones kept in the day's snapshot, and their publish -> snapshot minutes: from their publication
-- to the day's latest publication (snapshot_manifest.created_at, freshdata.clock's time), which the round's run made.
SELECT count(*) AS discovered,
       count(*) FILTER (WHERE d.state = 'new') AS new,
       count(s.doc_id) AS kept,
       median(epoch(m.created_at - s.published_at) / 60) AS p50_minutes,
       max(epoch(m.created_at - s.published_at) / 60) AS max_minutes
FROM discovered_urls d
LEFT JOIN snapshot_documents s ON s.snapshot_date = d.partition_date AND s.url = d.url
LEFT JOIN snapshot_manifest m ON m.snapshot_date = d.partition_date
WHERE d.partition_date = $day AND d.hour = $hour;
