-- staged: boilerplate.LineStats.sources (partition_date, source, n_docs).
INSERT INTO boilerplate_sources BY NAME SELECT * FROM staged;
