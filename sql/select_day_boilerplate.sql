-- Lines the quality stage's boilerplate operator removed from the day's fresh documents (the raw text keeps them).
SELECT coalesce(sum(stats['boilerplate.lines_removed_repeated']), 0)::BIGINT AS repeated,
       coalesce(sum(stats['boilerplate.lines_removed_learned']), 0)::BIGINT AS learned,
       count(*) FILTER (WHERE stats['boilerplate.lines_removed_repeated'] + stats['boilerplate.lines_removed_learned'] > 0)
           AS documents
FROM quality_results WHERE partition_date = $day;
