-- Rebuild episode_facts: every episode of care (clinic_episodes: the episodes export, or when none is loaded
-- the estimate from sessions with the gap rule) with what the Dropout page shows about it, over the whole
-- episode: sessions attended, the last one, the mean SRS of its first two rated sessions and its latest SRS
-- (the episode_srs macro, queries/_episode_macros.sql; a weekly feedback export only updates those:
-- update_episode_srs.sql).
-- None of that depends on the page's filters (they only choose episodes), so it is worked out once per import
-- instead of joining the period's episodes to every session and rating on each visit (1.9 s of the page's
-- 2.3 s at 10M sessions).
-- Run by attune.derived.refresh after refresh_rating_facts, whenever sessions, feedback or episodes change.
-- Parameters: $dropout_gap_days. Returns nothing.
-- Columns: client_id, therapist_id, start_date DATE, end_date DATE (NULL = still active), end_reason,
--   estimated BOOLEAN, attended_sessions BIGINT, last_attended DATE, early_srs DOUBLE (mean SRS total of the
--   episode's first two rated sessions), early_ratings BIGINT (0-2), last_srs DOUBLE.
CREATE OR REPLACE TABLE episode_facts AS
WITH ep AS MATERIALIZED (
    SELECT e.*, row_number() OVER () AS episode_key FROM clinic_episodes($dropout_gap_days) e
),
attended AS (
    SELECT ep.episode_key, count(*) AS attended_sessions, max(s.scheduled_at)::DATE AS last_attended
    FROM ep JOIN sessions s
      ON s.client_id = ep.client_id AND s.therapist_id = ep.therapist_id
     AND s.scheduled_at::DATE >= ep.start_date AND (ep.end_date IS NULL OR s.scheduled_at::DATE <= ep.end_date)
    WHERE s.status = 'attended'
    GROUP BY ep.episode_key
)
SELECT ep.client_id, ep.therapist_id, ep.start_date, ep.end_date, ep.end_reason, ep.estimated,
       coalesce(a.attended_sessions, 0) AS attended_sessions, a.last_attended,
       early.early_srs, coalesce(early.early_ratings, 0) AS early_ratings, early.last_srs
FROM ep
LEFT JOIN attended a USING (episode_key)
LEFT JOIN episode_srs('ep') early USING (episode_key)
ORDER BY ep.start_date, ep.therapist_id, ep.client_id;
