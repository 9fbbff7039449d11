-- Near-duplicate and reject rates of the day and the average of the trailing $window days.
WITH rates AS (
    SELECT partition_date,
           near_duplicate / nullif(extracted, 0) AS near_dup_rate,
           rejected / nullif(fresh, 0) AS reject_rate
    FROM day_funnel
    WHERE partition_date BETWEEN $day - to_days($window) AND $day
)
SELECT (SELECT near_dup_rate FROM rates WHERE partition_date = $day) AS near_dup_rate,
       (SELECT reject_rate FROM rates WHERE partition_date = $day) AS reject_rate,
       (SELECT avg(near_dup_rate) FROM rates WHERE partition_date < $day) AS trailing_near_dup_rate,
       (SELECT avg(reject_rate) FROM rates WHERE partition_date < $day) AS trailing_reject_rate,
       (SELECT count(*) FROM rates WHERE partition_date < $day) AS trailing_days;
