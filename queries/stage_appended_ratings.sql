-- The ratings of import batch $batch_id, as the ratings view gives them, for append_rating_facts.sql (a temp
-- table: that script reads them three times, and takes no parameters, being several statements).
-- Parameters: $batch_id. Returns nothing.
CREATE OR REPLACE TEMP TABLE appended_ratings AS
SELECT * FROM ratings WHERE feedback_batch = $batch_id;
