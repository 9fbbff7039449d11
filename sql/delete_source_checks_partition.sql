-- The re-check decisions of one discovery run (its partition and as-of time), replaced with the run's other rows.
DELETE FROM source_checks WHERE partition_date = $day AND as_of = $as_of;
