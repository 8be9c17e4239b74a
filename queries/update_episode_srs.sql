-- Set again the SRS figures (the episode_srs macro) of the episodes of the relationships that import batch
-- $batch_id gave SRS ratings, as refresh_episode_facts.sql would give them. Only those change when a feedback
-- import just adds ratings (a weekly export): which episodes there are and what was attended come from sessions
-- and episodes, which it does not touch. A week of 96,869 ratings into 10M sessions: 0.35-0.42 s instead of the
-- rebuild's 5.0-6.5 s (the episodes' CTE must be MATERIALIZED: the macro reads it twice, 1.7 s otherwise).
-- Run by attune.derived.refresh after append_rating_facts.sql. Parameters: $batch_id. Returns nothing.
UPDATE episode_facts
SET early_srs = x.early_srs, early_ratings = x.early_ratings, last_srs = x.last_srs
FROM (
    WITH rerated AS MATERIALIZED (
        SELECT rowid AS episode_key, client_id, therapist_id, start_date, end_date
        FROM episode_facts
        WHERE (client_id, therapist_id) IN (SELECT (client_id, therapist_id) FROM rating_facts
                                            WHERE feedback_batch = $batch_id AND srs_total IS NOT NULL)
    )
    SELECT * FROM episode_srs('rerated')
) x
WHERE episode_facts.rowid = x.episode_key;
