-- Client-therapist pairs with repeated no-shows or repeated cancellations by the clinician in the period.
-- Parameters: $start_date, $end_date, $therapist_ids, $supervisors, $sites, $services, $visible,
--             $min_count (a pair is listed when its no-shows or its clinician cancellations reach this).
-- Returns: client_id, therapist_id, therapist_name, booked, attended, no_show, late_cancel,
--   clinician_cancel BIGINT, last_no_show DATE, last_attended DATE,
--   no_shows_since_attended BIGINT (no-shows after the pair's last attended session in the period),
--   last_clinician_cancel DATE.
-- One pass, no window: each pair keeps the times of its no-shows as a list, and those after its last attended
-- session are counted from it (the window over every session took twice as long at 10M sessions).
WITH scoped AS (
    SELECT * FROM scoped_sessions($start_date, $end_date, $therapist_ids, $supervisors, $sites, $services, $visible)
),
-- The pairs listed, found among the no-shows and clinician cancellations alone (a tenth of the bookings): only
-- their bookings are then grouped in full.
listed AS (
    SELECT client_id, therapist_id FROM scoped WHERE status IN ('no_show', 'clinician_cancel')
    GROUP BY client_id, therapist_id
    HAVING count(*) FILTER (WHERE status = 'no_show') >= $min_count
        OR count(*) FILTER (WHERE status = 'clinician_cancel') >= $min_count
),
pairs AS (
    SELECT client_id, therapist_id, any_value(therapist_name) AS therapist_name,
           count(*) AS booked,
           count(*) FILTER (WHERE status = 'attended') AS attended,
           count(*) FILTER (WHERE status = 'no_show') AS no_show,
           count(*) FILTER (WHERE status = 'late_cancel') AS late_cancel,
           count(*) FILTER (WHERE status = 'clinician_cancel') AS clinician_cancel,
           max(scheduled_at) FILTER (WHERE status = 'no_show') AS last_no_show_at,
           max(scheduled_at) FILTER (WHERE status = 'attended') AS last_attended_at,
           list(scheduled_at) FILTER (WHERE status = 'no_show') AS no_shows_at,
           max(scheduled_at) FILTER (WHERE status = 'clinician_cancel')::DATE AS last_clinician_cancel
    FROM scoped SEMI JOIN listed USING (client_id, therapist_id)
    GROUP BY client_id, therapist_id
)
SELECT client_id, therapist_id, therapist_name, booked, attended, no_show, late_cancel, clinician_cancel,
       last_no_show_at::DATE AS last_no_show, last_attended_at::DATE AS last_attended,
       len(list_filter(coalesce(no_shows_at, []), lambda t: last_attended_at IS NULL OR t > last_attended_at))::BIGINT
           AS no_shows_since_attended,
       last_clinician_cancel
FROM pairs
ORDER BY no_show DESC, clinician_cancel DESC, client_id, therapist_id;
