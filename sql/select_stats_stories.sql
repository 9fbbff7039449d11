-- `freshdata stats`: the biggest stories with a document published on $day (size over every published day).
WITH today AS (SELECT DISTINCT story_id FROM snapshots WHERE snapshot_date = $day AND story_id IS NOT NULL)
SELECT story_id, count(*) AS size, count(*) FILTER (WHERE snapshot_date = $day) AS on_day,
       min(snapshot_date) AS first_seen, max(snapshot_date) AS last_seen, count(DISTINCT source) AS sources,
       string_agg(DISTINCT language, ',' ORDER BY language) AS languages,
       left(arg_min(title, fetched_at), 50) AS title
FROM snapshots JOIN today USING (story_id)
WHERE snapshot_date <= $day
GROUP BY story_id
ORDER BY size DESC, on_day DESC, story_id
LIMIT 10;
