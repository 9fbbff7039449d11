-- doc_ids of the matched history docs of one day (only days that supplied a confirmed duplicate).
SELECT ord, doc_id FROM dedup_decisions WHERE partition_date = $day AND list_contains($ords, ord);
