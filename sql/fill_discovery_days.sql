-- The days of discovered_urls that discovery_days lacks (homes from before discovery_days: freshdata.catalog).
INSERT INTO discovery_days
SELECT DISTINCT partition_date FROM discovered_urls EXCEPT SELECT partition_date FROM discovery_days
ORDER BY 1;
