SELECT doc_id, text FROM {table} WHERE {column} = $day;
