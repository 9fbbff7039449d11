-- URLs another round of the day already listed: a URL has one discovered_urls row per day, in the first round
-- that listed it (intraday runs re-check a feed every hour; its older items are not discovered again).
SELECT url FROM discovered_urls WHERE partition_date = $day AND hour IS DISTINCT FROM $hour;
