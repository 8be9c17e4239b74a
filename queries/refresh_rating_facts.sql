-- Rebuild rating_facts: the ratings view (with feedback_batch, the rating's import batch) stored as a table,
-- sorted by (rated_at, feedback_key) so date filters skip row groups, plus srs_seq and srs_rev (the rating's
-- place among the relationship's SRS ratings, oldest first and newest first, by rated_at then feedback_key; NULL
-- without an SRS total), and srs_prev (the relationship's previous SRS total, rounded to one decimal as shown).
-- The table's rowid is its (rated_at, feedback_key) order: DuckDB keeps a table's insertion order and rowid
-- follows it (docs: "order preservation"). Queries use rowid as a cheap exact key for a relationship's earliest
-- or latest rating, so the table is rebuilt whole, or appended to only with ratings later than every stored one
-- (append_rating_facts.sql, which tests/test_derived.py checks against this rebuild).
-- attention_ratings and rupture_events cut them off at a day without sorting every rating again (a later
-- rating never changes an earlier one's seq or previous rating).
-- Run by attune.derived.refresh whenever sessions or feedback change (see attune/derived.py).
-- Parameters: none. Returns nothing.
-- Columns: those of the ratings view (feedback_batch INTEGER last), srs_seq BIGINT, srs_rev BIGINT, srs_prev DOUBLE,
-- client_key UINTEGER (for looking one client up: migration 005).
CREATE OR REPLACE TABLE rating_facts AS
WITH r AS MATERIALIZED (SELECT * FROM ratings),
-- The window sorts only the keys of the SRS ratings, not every column of every rating (comments included):
-- a fifth less time at 1M sessions than numbering the whole rows.
numbered AS (
    SELECT feedback_key,
           row_number() OVER srs_order AS srs_seq,
           -- the relationship's count less the place (a frame to the partition's end took 0.1-0.3 s
           -- longer at 633k ratings)
           count(*) OVER (srs_order ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING)
               - row_number() OVER srs_order + 1 AS srs_rev,
           lag(round(srs_total, 1)) OVER srs_order AS srs_prev
    FROM r
    WHERE srs_total IS NOT NULL
    WINDOW srs_order AS (PARTITION BY client_id, therapist_id ORDER BY rated_at, feedback_key)
)
SELECT r.*, n.srs_seq, n.srs_rev, n.srs_prev, client_key(r.client_id) AS client_key
FROM r
LEFT JOIN numbered n USING (feedback_key)
ORDER BY r.rated_at, r.feedback_key;
