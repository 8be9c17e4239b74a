-- Rule missed_sessions: the client's most recent bookings are $missed_in_row or more no-shows or late
-- cancellations in a row (cancellations in good time and clinician cancellations are skipped, not counted).
-- Parameters: $as_of, $active_days, $therapist_ids, $supervisors, $sites, $services, $visible, $pairs_stored,
--             $missed_in_row.
-- Returns: client_id, therapist_id, flag_kind, reason, severity (3 when the run is longer than $missed_in_row,
--          else 2), flagged_on.
WITH bookings AS (
    SELECT s.client_id, s.therapist_id, s.scheduled_at, s.status
    FROM sessions s
    SEMI JOIN considered_pairs($as_of, $active_days, $therapist_ids, $supervisors, $sites, $services,
                         $visible, $pairs_stored) p USING (client_id, therapist_id)
    WHERE s.status IN ('attended', 'no_show', 'late_cancel')
      AND s.scheduled_at < $as_of::DATE + INTERVAL 1 DAY
),
last_attended AS (
    SELECT client_id, therapist_id, max(scheduled_at) FILTER (WHERE status = 'attended') AS at
    FROM bookings GROUP BY client_id, therapist_id
),
run AS (
    SELECT b.client_id, b.therapist_id, count(*) AS missed,
           count(*) FILTER (WHERE b.status = 'late_cancel') AS late, max(b.scheduled_at) AS last_missed
    FROM bookings b JOIN last_attended l USING (client_id, therapist_id)
    WHERE b.status <> 'attended' AND (l.at IS NULL OR b.scheduled_at > l.at)
    GROUP BY b.client_id, b.therapist_id
)
SELECT client_id, therapist_id, 'missed_sessions' AS flag_kind,
       printf('Missed the last %d sessions in a row (%s), latest on %s.', missed,
              CASE WHEN late = 0 THEN 'no-shows' WHEN late = missed THEN 'late cancellations'
                   ELSE printf('%d no-show%s, %d late cancellation%s', missed - late,
                               CASE WHEN missed - late = 1 THEN '' ELSE 's' END, late,
                               CASE WHEN late = 1 THEN '' ELSE 's' END) END,
              strftime(last_missed, '%Y-%m-%d')) AS reason,
       CASE WHEN missed > $missed_in_row THEN 3 ELSE 2 END AS severity,
       last_missed::DATE AS flagged_on
FROM run
WHERE missed >= $missed_in_row;
