-- Days of table dedup_signatures (a home from before signatures moved to files: freshdata.catalog).
SELECT DISTINCT partition_date FROM dedup_signatures ORDER BY 1;
