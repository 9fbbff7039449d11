-- dedup_new_decisions is an Arrow table registered by freshdata.dedup for the duration of one insert.
INSERT INTO dedup_decisions
SELECT partition_date, doc_id, ord, status, duplicate_of, duplicate_of_date, similarity, too_short,
       text_hash, n_words
FROM dedup_new_decisions
ORDER BY ord;
