-- A day's MinHash signatures (freshdata.dedup, through freshdata.texts.write_day, kind 'signatures'): `staged_texts`
-- (ord, text_hash, sig) is registered by freshdata.texts; {path} is filled in there. Sorted by ord: the day's
-- index segment is rebuilt from this file alone (select_dedup_day_signatures).
COPY (
    SELECT CAST($day AS DATE) AS partition_date, ord, text_hash, sig FROM staged_texts ORDER BY ord
) TO '{path}' (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE 100000);
