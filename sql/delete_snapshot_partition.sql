-- The day's staged rows (the published manifest row is replaced only when the day is published).
DELETE FROM snapshot_documents WHERE snapshot_date = $day;
DELETE FROM snapshot_keys WHERE snapshot_date = $day;
