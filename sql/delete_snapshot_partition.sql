DELETE FROM snapshot_documents WHERE snapshot_date = $day;
DELETE FROM snapshot_manifest WHERE snapshot_date = $day;
