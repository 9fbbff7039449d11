-- Side exits of the day by state and reason (failed:timeout, rejected:gopher_quality:min_words, …); the
-- duplicates' reasons name a document each, so they are counted together (duplicate_of:…, semantic_duplicate_of:…).
SELECT final_state,
       coalesce(regexp_replace(reason, '^(semantic_)?duplicate_of:.*', '\1duplicate_of:…'), '') AS reason, count(*) AS n
FROM url_funnel
WHERE partition_date = $day AND final_state NOT IN ('kept', 'new', 'fresh')
GROUP BY ALL ORDER BY final_state, n DESC, reason;
