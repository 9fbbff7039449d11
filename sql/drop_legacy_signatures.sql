-- Signatures are per-day files now (freshdata.catalog): the table goes once every day is written out.
DROP TABLE dedup_signatures;
