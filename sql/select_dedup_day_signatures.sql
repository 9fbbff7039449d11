-- One day's MinHash signatures, from its signatures file ($texts: text_files kind 'signatures'), in ord order.
SELECT ord, text_hash, sig FROM read_parquet($texts) ORDER BY ord;
