-- dedup_new_signatures is an Arrow table registered by freshdata.dedup for the duration of one insert.
INSERT INTO dedup_signatures
SELECT partition_date, ord, text_hash, sig
FROM dedup_new_signatures
ORDER BY ord;
