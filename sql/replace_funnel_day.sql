-- The day's row of funnel_days, recomputed from view day_funnel (its filter reaches every joined table, so
-- only the day's rows are read). No row when the day has no discovered URL, as in day_funnel.
DELETE FROM funnel_days WHERE partition_date = $day;
INSERT INTO funnel_days BY NAME SELECT * FROM day_funnel WHERE partition_date = $day;
