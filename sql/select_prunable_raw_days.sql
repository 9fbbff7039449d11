-- Days up to $cutoff that have published (a snapshot_manifest row): the only days whose raw archive the
-- retention setting may delete. A day that never published keeps its raw data for its re-run.
SELECT snapshot_date FROM snapshot_manifest WHERE snapshot_date <= $cutoff ORDER BY snapshot_date;
