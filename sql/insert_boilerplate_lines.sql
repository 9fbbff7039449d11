-- staged: boilerplate.LineStats.lines (partition_date, source, line_hash, n_pages), sorted by source, line_hash.
INSERT INTO boilerplate_lines BY NAME SELECT * FROM staged;
