DELETE FROM snapshot_manifest WHERE snapshot_date = $day;
