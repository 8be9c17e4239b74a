-- Rebuild rating_facts: the ratings view (with feedback_batch, the rating's import batch) stored as a table,
-- sorted by (rated_at, feedback_key) so date filters skip row groups, plus srs_seq and srs_rev (the rating's
-- place among the relationship's SRS ratings, oldest first and newest first, by rated_at then feedback_key; NULL
-- without an SRS total), and srs_prev (the relationship's previous SRS total, rounded to one decimal as shown).
-- The table's rowid is its (rated_at, feedback_key) order: DuckDB keeps a table's insertion order and rowid
-- follows it (docs: "order preservation"). Queries use rowid as a cheap exact key for a relationship's earliest
-- or latest rating, so the table is only ever rebuilt whole, never appended to (tests/test_derived.py).
-- attention_ratings and rupture_events cut them off at a day without sorting every rating again (a later
-- rating never changes an earlier one's seq or previous rating).
-- Run by attune.derived.refresh whenever sessions or feedback change (see attune/derived.py).
-- Parameters: none. Returns nothing.
-- Columns: those of the ratings view (feedback_batch INTEGER last), srs_seq BIGINT, srs_rev BIGINT, srs_prev DOUBLE.
CREATE OR REPLACE TABLE rating_facts AS
WITH numbered AS (
    SELECT r.*,
           row_number() OVER srs_order AS seq,
           lag(round(r.srs_total, 1)) OVER srs_order AS prev,
           -- the relationship's count less the place (a frame to the partition's end took 0.1-0.3 s
           -- longer at 633k ratings)
           count(*) OVER (srs_order ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING)
               - row_number() OVER srs_order + 1 AS rev
    FROM ratings r
    WINDOW srs_order AS (PARTITION BY r.client_id, r.therapist_id, r.srs_total IS NULL
                         ORDER BY r.rated_at, r.feedback_key)
)
SELECT * EXCLUDE (seq, rev, prev),
       CASE WHEN srs_total IS NOT NULL THEN seq END AS srs_seq,
       CASE WHEN srs_total IS NOT NULL THEN rev END AS srs_rev,
       CASE WHEN srs_total IS NOT NULL THEN prev END AS srs_prev
FROM numbered
ORDER BY rated_at, feedback_key;
