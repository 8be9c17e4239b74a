-- Rule no_feedback: none of the last $no_feedback_sessions attended sessions has an SRS rating, so the
-- relationship is invisible. Silent when the clinic has imported no feedback at all.
-- A session counts as rated when a rating exists for the same client, therapist and day.
-- Parameters: $as_of, $active_days, $therapist_ids, $supervisors, $sites, $services, $visible, $pairs_stored,
--             $no_feedback_sessions.
-- Returns: client_id, therapist_id, flag_kind, reason, severity (1), flagged_on.
WITH attended AS (
    SELECT s.client_id, s.therapist_id, s.scheduled_at,
           row_number() OVER (PARTITION BY s.client_id, s.therapist_id
                              ORDER BY s.scheduled_at DESC, s.session_id DESC) AS rev
    FROM sessions s
    SEMI JOIN considered_pairs($as_of, $active_days, $therapist_ids, $supervisors, $sites, $services,
                         $visible, $pairs_stored) p USING (client_id, therapist_id)
    WHERE s.status = 'attended' AND s.scheduled_at < $as_of::DATE + INTERVAL 1 DAY
),
last_attended AS (SELECT * FROM attended WHERE rev <= $no_feedback_sessions),
rated_days AS (
    SELECT DISTINCT r.client_id, r.therapist_id, r.rated_at::DATE AS day FROM rating_facts r
    SEMI JOIN last_attended a ON a.client_id = r.client_id AND a.therapist_id = r.therapist_id
                             AND a.scheduled_at::DATE = r.rated_at::DATE
    WHERE r.srs_total IS NOT NULL
),
recent AS (
    SELECT a.client_id, a.therapist_id, a.scheduled_at, d.day IS NOT NULL AS rated
    FROM last_attended a
    LEFT JOIN rated_days d ON d.client_id = a.client_id AND d.therapist_id = a.therapist_id
                          AND d.day = a.scheduled_at::DATE
)
SELECT client_id, therapist_id, 'no_feedback' AS flag_kind,
       printf('No SRS at the last %d attended sessions (since %s).', count(*),
              strftime(min(scheduled_at), '%Y-%m-%d')) AS reason,
       1 AS severity,
       max(scheduled_at)::DATE AS flagged_on
FROM recent
WHERE EXISTS (SELECT 1 FROM feedback)
GROUP BY client_id, therapist_id
HAVING count(*) = $no_feedback_sessions AND NOT bool_or(rated);
