DELETE FROM text_files WHERE partition_date = $day AND kind = $kind;
INSERT INTO text_files VALUES ($day, $kind, $path);
