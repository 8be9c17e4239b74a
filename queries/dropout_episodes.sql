-- Episodes of care that overlap the period, for the Dropout page: one row per episode, from the episodes
-- export or (when none is loaded) estimated from sessions with the gap rule (clinic_episodes in _macros.sql).
-- Therapist, team and site filters apply through the therapist (as on the Overview); services do not.
-- Parameters: $start_date, $end_date, $therapist_ids, $supervisors, $sites, $visible, $dropout_gap_days.
-- Returns: client_id, therapist_id, therapist_name, start_date DATE, end_date DATE (NULL = still active),
--   end_reason, estimated BOOLEAN, attended_sessions BIGINT (sessions attended in the episode, all of it),
--   last_attended DATE, early_srs DOUBLE (mean SRS total of the episode's first two rated sessions),
--   early_ratings BIGINT (0-2), last_srs DOUBLE.
WITH chosen AS (
    SELECT therapist_id, therapist_name FROM scoped_therapists($therapist_ids, $supervisors, $sites, $visible)
),
ep AS MATERIALIZED (
    SELECT e.*, c.therapist_name, row_number() OVER () AS episode_key
    FROM clinic_episodes($dropout_gap_days) e JOIN chosen c USING (therapist_id)
    WHERE e.start_date <= $end_date AND (e.end_date IS NULL OR e.end_date >= $start_date)
),
attended AS (
    SELECT ep.episode_key, count(*) AS attended_sessions, max(s.scheduled_at)::DATE AS last_attended
    FROM ep JOIN sessions s
      ON s.client_id = ep.client_id AND s.therapist_id = ep.therapist_id
     AND s.scheduled_at::DATE >= ep.start_date AND (ep.end_date IS NULL OR s.scheduled_at::DATE <= ep.end_date)
    WHERE s.status = 'attended'
    GROUP BY ep.episode_key
),
-- The episode's ratings in order: srs_seq numbers the relationship's SRS ratings by (rated_at, feedback_key)
-- (rating_facts), and an episode's ratings are a run of them, so its first two are the two lowest numbers.
rated AS (
    SELECT ep.episode_key, r.srs_total, r.srs_seq
    FROM ep JOIN rating_facts r
      ON r.client_id = ep.client_id AND r.therapist_id = ep.therapist_id
     AND r.rated_at::DATE >= ep.start_date AND (ep.end_date IS NULL OR r.rated_at::DATE <= ep.end_date)
    WHERE r.srs_total IS NOT NULL
),
first_rated AS (
    SELECT episode_key, min(srs_seq) AS first_seq FROM rated GROUP BY episode_key
),
early AS (
    SELECT episode_key, avg(srs_total) FILTER (WHERE srs_seq <= first_seq + 1) AS early_srs,
           count(*) FILTER (WHERE srs_seq <= first_seq + 1) AS early_ratings,
           arg_max(srs_total, srs_seq) AS last_srs
    FROM rated JOIN first_rated USING (episode_key) GROUP BY episode_key
)
SELECT ep.client_id, ep.therapist_id, ep.therapist_name, ep.start_date, ep.end_date, ep.end_reason, ep.estimated,
       coalesce(a.attended_sessions, 0) AS attended_sessions, a.last_attended,
       early.early_srs, coalesce(early.early_ratings, 0) AS early_ratings, early.last_srs
FROM ep
LEFT JOIN attended a USING (episode_key)
LEFT JOIN early USING (episode_key)
ORDER BY ep.therapist_name, ep.start_date, ep.client_id;
