-- Client-therapist pairs with repeated no-shows or repeated cancellations by the clinician in the period.
-- Parameters: $start_date, $end_date, $therapist_ids, $supervisors, $sites, $services, $visible,
--             $min_count (a pair is listed when its no-shows or its clinician cancellations reach this).
-- Returns: client_id, therapist_id, therapist_name, booked, attended, no_show, late_cancel,
--   clinician_cancel BIGINT, last_no_show DATE, last_attended DATE,
--   no_shows_since_attended BIGINT (no-shows after the pair's last attended session in the period),
--   last_clinician_cancel DATE.
WITH s AS (
    SELECT client_id, therapist_id, therapist_name, scheduled_at, status,
           max(scheduled_at) FILTER (WHERE status = 'attended') OVER (PARTITION BY client_id, therapist_id)
               AS pair_last_attended
    FROM scoped_sessions($start_date, $end_date, $therapist_ids, $supervisors, $sites, $services, $visible)
)
SELECT client_id, therapist_id, any_value(therapist_name) AS therapist_name,
       count(*) AS booked,
       count(*) FILTER (WHERE status = 'attended') AS attended,
       count(*) FILTER (WHERE status = 'no_show') AS no_show,
       count(*) FILTER (WHERE status = 'late_cancel') AS late_cancel,
       count(*) FILTER (WHERE status = 'clinician_cancel') AS clinician_cancel,
       max(scheduled_at) FILTER (WHERE status = 'no_show')::DATE AS last_no_show,
       max(scheduled_at) FILTER (WHERE status = 'attended')::DATE AS last_attended,
       count(*) FILTER (WHERE status = 'no_show' AND (pair_last_attended IS NULL
                                                      OR scheduled_at > pair_last_attended))
           AS no_shows_since_attended,
       max(scheduled_at) FILTER (WHERE status = 'clinician_cancel')::DATE AS last_clinician_cancel
FROM s
GROUP BY client_id, therapist_id
HAVING count(*) FILTER (WHERE status = 'no_show') >= $min_count
    OR count(*) FILTER (WHERE status = 'clinician_cancel') >= $min_count
ORDER BY no_show DESC, clinician_cancel DESC, client_id;
