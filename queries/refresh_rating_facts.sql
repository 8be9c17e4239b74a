-- Rebuild rating_facts: the ratings view stored as a table, sorted by rated_at so date filters skip row
-- groups, plus feedback_batch (the import batch of the feedback row) and srs_seq (the rating's place among
-- the relationship's SRS ratings, oldest first by rated_at then feedback_key; NULL without an SRS total).
-- srs_seq does not change when later ratings are cut off at a day, so attention_ratings needs no sort.
-- Run by attune.derived.refresh whenever sessions or feedback change (see attune/derived.py).
-- Parameters: none. Returns nothing. Columns: those of the ratings view, feedback_batch INTEGER, srs_seq BIGINT.
CREATE OR REPLACE TABLE rating_facts AS
SELECT r.*, f.batch_id AS feedback_batch,
       CASE WHEN r.srs_total IS NOT NULL THEN row_number() OVER (
           PARTITION BY r.client_id, r.therapist_id, r.srs_total IS NULL ORDER BY r.rated_at, r.feedback_key) END
           AS srs_seq
FROM ratings r JOIN feedback f USING (feedback_key)
ORDER BY r.rated_at, r.feedback_key;
