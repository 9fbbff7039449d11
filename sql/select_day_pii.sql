-- PII redacted in the day's fresh documents, by type (the placeholders are in quality_results.text).
SELECT coalesce(sum(pii_email), 0) AS email, coalesce(sum(pii_phone), 0) AS phone, coalesce(sum(pii_card), 0) AS card,
       coalesce(sum(pii_ip), 0) AS ip, coalesce(sum(pii_ssn), 0) AS ssn,
       count(*) FILTER (WHERE pii_email + pii_phone + pii_card + pii_ip + pii_ssn > 0) AS documents
FROM quality_results WHERE partition_date = $day;
