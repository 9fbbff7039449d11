CREATE OR REPLACE VIEW latest_snapshot AS
SELECT * FROM snapshots WHERE snapshot_date = (SELECT max(snapshot_date) FROM snapshots);
