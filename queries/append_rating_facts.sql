-- Add the ratings of one import batch to rating_facts without rebuilding it: what refresh_rating_facts.sql
-- would give, when rating_facts_appendable.sql says they all come after the stored ones (so they go at the end,
-- in their order, and the table's rowid stays its (rated_at, feedback_key) order). Only srs_rev (the place
-- counted from the newest) changes for stored ratings: each of a relationship's stored SRS ratings moves back by
-- the number of new ones it gets. srs_seq and srs_prev of a new rating continue from the relationship's stored
-- ones. A week of 96,869 ratings into 10M sessions: the summary tables 8-10 s instead of 37 s (README).
-- Run by attune.derived.refresh after stage_appended_ratings.sql has put the batch's ratings in the temp table
-- appended_ratings. Parameters: none. Returns nothing.
CREATE OR REPLACE TEMP TABLE appended_srs AS
WITH stored AS (
    SELECT client_id, therapist_id, max(srs_seq) AS seq, arg_max(srs_total, srs_seq) AS total
    FROM rating_facts
    WHERE srs_total IS NOT NULL
      AND (client_id, therapist_id) IN (SELECT (client_id, therapist_id) FROM appended_ratings)
    GROUP BY client_id, therapist_id
)
SELECT a.feedback_key, a.client_id, a.therapist_id,
       coalesce(s.seq, 0) + row_number() OVER srs_order AS srs_seq,
       count(*) OVER (srs_order ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING)
           - row_number() OVER srs_order + 1 AS srs_rev,
       coalesce(lag(round(a.srs_total, 1)) OVER srs_order, round(s.total, 1)) AS srs_prev,
       count(*) OVER (PARTITION BY a.client_id, a.therapist_id) AS added
FROM appended_ratings a
LEFT JOIN stored s ON s.client_id IS NOT DISTINCT FROM a.client_id AND s.therapist_id IS NOT DISTINCT FROM a.therapist_id
WHERE a.srs_total IS NOT NULL
WINDOW srs_order AS (PARTITION BY a.client_id, a.therapist_id ORDER BY a.rated_at, a.feedback_key);

UPDATE rating_facts SET srs_rev = rating_facts.srs_rev + n.added
FROM (SELECT DISTINCT client_id, therapist_id, added FROM appended_srs) n
WHERE rating_facts.client_id IS NOT DISTINCT FROM n.client_id
  AND rating_facts.therapist_id IS NOT DISTINCT FROM n.therapist_id
  AND rating_facts.srs_total IS NOT NULL;

INSERT INTO rating_facts
SELECT a.*, n.srs_seq, n.srs_rev, n.srs_prev, client_key(a.client_id) AS client_key
FROM appended_ratings a
LEFT JOIN appended_srs n USING (feedback_key)
ORDER BY a.rated_at, a.feedback_key;

DROP TABLE appended_ratings;
DROP TABLE appended_srs;
