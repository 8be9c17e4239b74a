-- Episodes of care that overlap the period, for the Dropout page: one row per episode, from episode_facts
-- (the episodes export or, when none is loaded, the estimate from sessions with the gap rule, with each
-- episode's sessions and ratings summed up at import: queries/refresh_episode_facts.sql).
-- Therapist, team and site filters apply through the therapist (as on the Overview); services do not.
-- Parameters: $start_date, $end_date, $therapist_ids, $supervisors, $sites, $visible.
-- Returns: client_id, therapist_id, therapist_name, start_date DATE, end_date DATE (NULL = still active),
--   end_reason, estimated BOOLEAN, attended_sessions BIGINT (sessions attended in the episode, all of it),
--   last_attended DATE, early_srs DOUBLE (mean SRS total of the episode's first two rated sessions),
--   early_ratings BIGINT (0-2), last_srs DOUBLE.
SELECT e.client_id, e.therapist_id, c.therapist_name, e.start_date, e.end_date, e.end_reason, e.estimated,
       e.attended_sessions, e.last_attended, e.early_srs, e.early_ratings, e.last_srs
FROM episode_facts e
JOIN scoped_therapists($therapist_ids, $supervisors, $sites, $visible) c USING (therapist_id)
WHERE e.start_date <= $end_date AND (e.end_date IS NULL OR e.end_date >= $start_date)
ORDER BY c.therapist_name, e.start_date, e.client_id;
