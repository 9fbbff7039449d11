-- Tag distributions per snapshot day: one row per (day, tag, value).
CREATE OR REPLACE VIEW tag_counts AS
SELECT snapshot_date, tag, value, count(*) AS documents FROM (
    SELECT snapshot_date, 'language' AS tag, language AS value FROM snapshots
    UNION ALL SELECT snapshot_date, 'topic', topic FROM snapshots
    UNION ALL SELECT snapshot_date, 'format', format FROM snapshots
    UNION ALL SELECT snapshot_date, 'source', source FROM snapshots
    UNION ALL SELECT snapshot_date, 'registered_domain', registered_domain FROM snapshots
) GROUP BY ALL ORDER BY snapshot_date, tag, documents DESC;
