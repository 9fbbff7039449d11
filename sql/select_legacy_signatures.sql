-- One day's rows of table dedup_signatures, as its signatures file holds them (freshdata.catalog).
SELECT ord, text_hash, sig FROM dedup_signatures WHERE partition_date = $day ORDER BY ord;
