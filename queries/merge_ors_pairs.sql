-- Bring ors_pairs up to date with the ORS ratings of import batch $batch_id that append_rating_facts.sql put at
-- the end of rating_facts (all later than every stored rating), without grouping every ORS rating again as
-- refresh_ors_pairs.sql does: a relationship's intake ORS stays, its latest is the batch's last, its count grows
-- by the batch's; a relationship's first ORS ratings add it. A week of 96,869 ratings into 10M sessions (78,708
-- relationships with a new ORS): 0.6-0.9 s instead of the rebuild's 1.2-1.4 s, nearly all of it DuckDB updating
-- the matched rows (rewriting the whole table from a full join took 0.4-0.5 s, but reads less plainly).
-- Run by attune.derived.refresh after append_rating_facts.sql. Parameters: $batch_id. Returns nothing.
MERGE INTO ors_pairs p
USING (
    SELECT client_id, therapist_id, arg_min(ors_total, rowid) AS intake_ors, arg_max(ors_total, rowid) AS latest_ors,
           count(*) AS ors_ratings, max(rated_at) AS latest_ors_at
    FROM rating_facts
    WHERE feedback_batch = $batch_id AND ors_total IS NOT NULL
    GROUP BY client_id, therapist_id
) n
ON p.client_id IS NOT DISTINCT FROM n.client_id AND p.therapist_id IS NOT DISTINCT FROM n.therapist_id
WHEN MATCHED THEN UPDATE
    SET latest_ors = n.latest_ors, ors_ratings = p.ors_ratings + n.ors_ratings, latest_ors_at = n.latest_ors_at
WHEN NOT MATCHED THEN INSERT (client_id, therapist_id, intake_ors, latest_ors, ors_ratings, latest_ors_at)
    VALUES (n.client_id, n.therapist_id, n.intake_ors, n.latest_ors, n.ors_ratings, n.latest_ors_at);
