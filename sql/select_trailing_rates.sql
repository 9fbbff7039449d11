-- Near-duplicate and reject rates of the day and the average of the trailing $window days.
-- The window is DATE arithmetic ($day - n days is a DATE), so the optimizer pushes it into every table the
-- day_funnel view joins: only the window's rows are read. (`$day - to_days(n)` would be a TIMESTAMP and
-- the filter would stay above the view, computing the funnel of all history.)
WITH rates AS (
    SELECT partition_date,
           near_duplicate / nullif(extracted, 0) AS near_dup_rate,
           rejected / nullif(fresh, 0) AS reject_rate
    FROM day_funnel
    WHERE partition_date BETWEEN $day::DATE - CAST($window AS INTEGER) AND $day::DATE
)
SELECT (SELECT near_dup_rate FROM rates WHERE partition_date = $day) AS near_dup_rate,
       (SELECT reject_rate FROM rates WHERE partition_date = $day) AS reject_rate,
       (SELECT avg(near_dup_rate) FROM rates WHERE partition_date < $day) AS trailing_near_dup_rate,
       (SELECT avg(reject_rate) FROM rates WHERE partition_date < $day) AS trailing_reject_rate,
       (SELECT count(*) FROM rates WHERE partition_date < $day) AS trailing_days;
