-- Side exits of the day by state and reason (failed:timeout, rejected:gopher_quality:min_words, …).
SELECT final_state, coalesce(regexp_replace(reason, '^duplicate_of:.*', 'duplicate_of:…'), '') AS reason,
       count(*) AS n
FROM url_funnel
WHERE partition_date = $day AND final_state NOT IN ('kept', 'new', 'fresh')
GROUP BY ALL ORDER BY final_state, n DESC, reason;
