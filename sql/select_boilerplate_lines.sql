-- Learned boilerplate of the given sources for day $day: lines on >= $min_pages pages and on >= $min_share of
-- the source's pages over the $window_days days before $day (the day itself excluded). Reads only the window.
WITH totals AS (
    SELECT source, sum(n_docs) AS n_docs
    FROM boilerplate_sources
    WHERE partition_date >= CAST($day AS DATE) - CAST($window_days AS INTEGER)
      AND partition_date < CAST($day AS DATE)
      AND list_contains(CAST($sources AS VARCHAR[]), source)
    GROUP BY source
)
SELECT l.source, l.line_hash
FROM boilerplate_lines l
JOIN totals t ON t.source = l.source
WHERE l.partition_date >= CAST($day AS DATE) - CAST($window_days AS INTEGER)
  AND l.partition_date < CAST($day AS DATE)
  AND list_contains(CAST($sources AS VARCHAR[]), l.source)
GROUP BY l.source, l.line_hash, t.n_docs
HAVING sum(l.n_pages) >= $min_pages AND sum(l.n_pages) >= $min_share * t.n_docs
ORDER BY l.source, l.line_hash;
