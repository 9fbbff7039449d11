-- Days whose funnel_days row is missing (discovered URLs but no row yet) or left over (a row but no discovered
-- URL any more): publication recomputes them. Reads only the partition_date column of discovered_urls.
(SELECT DISTINCT partition_date FROM discovered_urls EXCEPT SELECT partition_date FROM funnel_days)
UNION
(SELECT partition_date FROM funnel_days EXCEPT SELECT DISTINCT partition_date FROM discovered_urls)
ORDER BY 1;
