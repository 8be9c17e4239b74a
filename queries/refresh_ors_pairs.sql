-- Rebuild ors_pairs: every client-therapist relationship's ORS ratings over all time, from rating_facts: the
-- first (intake) and the latest (ties in time broken by the feedback key: rating_facts' rowid is that order),
-- and how many. A period that ends at or after the newest rating takes a relationship's
-- outcome from here (therapist_ors_pairs.sql) instead of grouping every ORS rating again (0.6 s at 10M
-- sessions); an earlier end groups them live (therapist_ors_clients.sql).
-- Run by attune.derived.refresh after refresh_rating_facts. Parameters: none. Returns nothing.
-- Columns: client_id, therapist_id, intake_ors DOUBLE, latest_ors DOUBLE, ors_ratings BIGINT,
--   latest_ors_at TIMESTAMP (when the latest ORS was given: the pair has an ORS in any period it ends in).
CREATE OR REPLACE TABLE ors_pairs AS
SELECT client_id, therapist_id, arg_min(ors_total, rowid) AS intake_ors, arg_max(ors_total, rowid) AS latest_ors,
       count(*) AS ors_ratings, max(rated_at) AS latest_ors_at
FROM rating_facts
WHERE ors_total IS NOT NULL
GROUP BY client_id, therapist_id;
