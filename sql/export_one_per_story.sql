-- `freshdata export --one-per-story`: one document of each story among `matching` (the snapshots' rows the
-- export selects), a stable sample by hash; a document without a story (published before the semantic stage)
-- is its own story.
SELECT * FROM matching
QUALIFY row_number() OVER (PARTITION BY coalesce(story_id, doc_id) ORDER BY hash(doc_id), doc_id) = 1
