SELECT path FROM text_files WHERE partition_date = $day AND kind = $kind;
