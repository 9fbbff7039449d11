-- `freshdata run`'s day summary: what the semantic stage decided for the day's kept documents.
SELECT count(*) AS documents, count(semantic_duplicate_of) AS duplicates, count(*) FILTER (WHERE dropped) AS dropped,
       count(*) FILTER (WHERE story_id = doc_id) AS new_stories,
       count(*) FILTER (WHERE story_id <> doc_id) AS joined_stories
FROM semantic_documents
WHERE partition_date = $day;
