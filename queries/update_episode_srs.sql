-- Fill episode_facts' SRS columns (early_srs, early_ratings, last_srs: see refresh_episode_facts.sql) for the
-- episodes of the relationships that import batch $batch_id rated, or for every episode when it is NULL (after a
-- rebuild). New ratings change nothing else about an episode, so a feedback import that only adds ratings runs
-- this alone instead of the rebuild (10M sessions, a week of 96,869 ratings: 1.4 s instead of 5.1-5.5 s).
-- An episode's ratings are a run of its relationship's, numbered by srs_seq in (rated_at, feedback_key) order
-- (rating_facts), so its first two are the two lowest numbers. An episode without ratings keeps NULL and 0.
-- Run by attune.derived.refresh. Parameters: $batch_id (NULL = every episode). Returns nothing.
UPDATE episode_facts SET early_srs = n.early_srs, early_ratings = n.early_ratings, last_srs = n.last_srs
FROM (
    WITH spans AS (
        SELECT rowid AS episode_key, client_id, therapist_id, start_date, end_date FROM episode_facts
        WHERE $batch_id IS NULL OR (client_id, therapist_id) IN (
            SELECT (client_id, therapist_id) FROM rating_facts WHERE feedback_batch = $batch_id)
    ),
    rated AS (
        SELECT ep.episode_key, r.srs_total, r.srs_seq
        FROM spans ep JOIN rating_facts r
          ON r.client_id = ep.client_id AND r.therapist_id = ep.therapist_id
         AND r.rated_at::DATE >= ep.start_date AND (ep.end_date IS NULL OR r.rated_at::DATE <= ep.end_date)
        WHERE r.srs_total IS NOT NULL
    ),
    first_rated AS (
        SELECT episode_key, min(srs_seq) AS first_seq FROM rated GROUP BY episode_key
    )
    SELECT episode_key, avg(srs_total) FILTER (WHERE srs_seq <= first_seq + 1) AS early_srs,
           count(*) FILTER (WHERE srs_seq <= first_seq + 1) AS early_ratings,
           arg_max(srs_total, srs_seq) AS last_srs
    FROM rated JOIN first_rated USING (episode_key)
    GROUP BY episode_key
) n
WHERE episode_facts.rowid = n.episode_key;
