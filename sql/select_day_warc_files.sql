-- Every raw archive file of one day that a committed fetch_log row references (files are under date=<day>/):
-- a stage's file that is not in this list was left by a run that did not commit.
SELECT DISTINCT warc_file FROM fetch_log WHERE starts_with(warc_file, $prefix);
