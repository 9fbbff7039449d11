-- Days whose funnel_days row is missing (discovered URLs but no row yet) or left over (a row but no discovered
-- URL any more): publication recomputes them. Reads two tables of one row per day (discovery_days, funnel_days).
(SELECT partition_date FROM discovery_days EXCEPT SELECT partition_date FROM funnel_days)
UNION
(SELECT partition_date FROM funnel_days EXCEPT SELECT partition_date FROM discovery_days)
ORDER BY 1;
