-- One client's history session by session up to $as_of, with the SRS and ORS given at each (ratings exported
-- by client and date without a session appear as rated, unbooked rows).
-- Parameters: $client_id, $as_of, $visible.
-- Returns: occurred_at TIMESTAMP, therapist_id, therapist_name, status (NULL for a rating without a booking),
--   session_number, srs_relationship, srs_goals, srs_approach, srs_overall, srs_total, ors_total, comment.
WITH s AS (
    SELECT session_id, client_id, therapist_id, scheduled_at, status, session_number FROM sessions
    WHERE is_client(client_key, client_id, $client_id)
      AND scheduled_at < $as_of::DATE + INTERVAL 1 DAY
),
r AS (
    SELECT * EXCLUDE (feedback_batch, srs_seq, srs_rev, srs_prev, client_key) FROM rating_facts
    WHERE is_client(client_key, client_id, $client_id)
      AND rated_at < $as_of::DATE + INTERVAL 1 DAY
)
SELECT coalesce(s.scheduled_at, r.rated_at) AS occurred_at, coalesce(s.therapist_id, r.therapist_id) AS therapist_id,
       coalesce(t.name, s.therapist_id, r.therapist_id) AS therapist_name, s.status, s.session_number,
       round(r.srs_relationship, 1) AS srs_relationship, round(r.srs_goals, 1) AS srs_goals,
       round(r.srs_approach, 1) AS srs_approach, round(r.srs_overall, 1) AS srs_overall,
       round(r.srs_total, 1) AS srs_total, round(r.ors_total, 1) AS ors_total, r.comment
FROM s
FULL OUTER JOIN r ON r.session_id = s.session_id
    OR (r.session_id IS NULL AND r.therapist_id = s.therapist_id AND r.rated_at::DATE = s.scheduled_at::DATE)
LEFT JOIN therapists t ON t.therapist_id = coalesce(s.therapist_id, r.therapist_id)
WHERE $visible IS NULL OR list_contains($visible, coalesce(s.therapist_id, r.therapist_id))
ORDER BY occurred_at, therapist_id;
