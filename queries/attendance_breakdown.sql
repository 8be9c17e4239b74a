-- Appointment outcomes counted several ways in one pass, for the Attendance page.
-- Parameters: $start_date, $end_date, $therapist_ids, $supervisors, $sites, $services, $visible.
-- Returns: dimension VARCHAR (all | therapist | weekday | hour | visit | session | site | service |
--   weekday_hour), level VARCHAR (display label), level_order INTEGER (sort key), weekday INTEGER (ISO 1-7,
--   weekday and weekday_hour only), hour INTEGER (hour and weekday_hour only), booked, attended, no_show,
--   late_cancel, cancelled, clinician_cancel BIGINT.
-- Session number comes from the export; when it is missing it is the booking's rank in the client-therapist
-- pair (all bookings, any status). visit: first appointment (session 1) vs follow-ups.
WITH renumbered AS (
    SELECT session_id,
           row_number() OVER (PARTITION BY client_id, therapist_id ORDER BY scheduled_at, session_id) AS rank
    FROM sessions
    WHERE session_number IS NULL
),
scoped AS (
    SELECT * FROM scoped_sessions($start_date, $end_date, $therapist_ids, $supervisors, $sites, $services, $visible)
),
-- Only bookings without a number are joined to their rank: probing every booking's id cost a third of the query.
numbered AS (
    SELECT sc.*, sc.session_number AS number FROM scoped sc WHERE sc.session_number IS NOT NULL
    UNION ALL
    SELECT sc.*, rn.rank FROM scoped sc JOIN renumbered rn USING (session_id) WHERE sc.session_number IS NULL
),
-- Two grouping sets over the bookings, by therapist and by the few combinations of the other dimensions
-- (weekday, hour, session bucket, site, service: at most some thousands); every other breakdown is summed from
-- the combinations. Nine grouping sets over every booking took 0.33-0.41 s at 10M sessions (12 weeks).
s AS (
    SELECT status, therapist_id, therapist_name, coalesce(site, '(no site)') AS site,
           coalesce(service, '(no service)') AS service,
           isodow(scheduled_at)::INTEGER AS weekday, hour(scheduled_at)::INTEGER AS hour,
           CASE WHEN number <= 5 THEN number WHEN number <= 10 THEN 6 ELSE 11 END::INTEGER AS session_bucket
    FROM numbered
),
counted AS (
    SELECT grouping(therapist_id) = 0 AS per_therapist, therapist_id, any_value(therapist_name) AS therapist_name,
           weekday, hour, session_bucket, site, service,
           CASE WHEN session_bucket <= 1 THEN 'First appointment' ELSE 'Follow-up' END AS visit,
           UNNEST(outcome_counts(status))
    FROM s
    GROUP BY GROUPING SETS ((therapist_id), (weekday, hour, session_bucket, site, service))
),
grouped AS (
    SELECT 'therapist' AS dimension, therapist_id, therapist_name, weekday, hour, visit, session_bucket, site,
           service, booked, attended, no_show, late_cancel, cancelled, clinician_cancel
    FROM counted WHERE per_therapist
    UNION ALL
    SELECT
        CASE WHEN grouping(weekday) = 0 AND grouping(hour) = 0 THEN 'weekday_hour'
             WHEN grouping(weekday) = 0 THEN 'weekday'
             WHEN grouping(hour) = 0 THEN 'hour'
             WHEN grouping(visit) = 0 THEN 'visit'
             WHEN grouping(session_bucket) = 0 THEN 'session'
             WHEN grouping(site) = 0 THEN 'site'
             WHEN grouping(service) = 0 THEN 'service'
             ELSE 'all' END,
        NULL, NULL, weekday, hour, visit, session_bucket, site, service,
        -- summed over no bookings at all (an empty scope), the 'all' row still counts 0
        coalesce(sum(booked), 0)::BIGINT, coalesce(sum(attended), 0)::BIGINT, coalesce(sum(no_show), 0)::BIGINT,
        coalesce(sum(late_cancel), 0)::BIGINT, coalesce(sum(cancelled), 0)::BIGINT,
        coalesce(sum(clinician_cancel), 0)::BIGINT
    FROM counted WHERE NOT per_therapist
    GROUP BY GROUPING SETS ((), (weekday), (hour), (weekday, hour), (visit), (session_bucket), (site), (service))
)
SELECT dimension,
       CASE dimension
           WHEN 'therapist' THEN therapist_name || ' (' || therapist_id || ')'
           WHEN 'weekday' THEN ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'][weekday]
           WHEN 'hour' THEN lpad(hour::VARCHAR, 2, '0') || ':00'
           WHEN 'weekday_hour' THEN ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'][weekday] || ' '
                                    || lpad(hour::VARCHAR, 2, '0') || ':00'
           WHEN 'visit' THEN visit
           WHEN 'session' THEN CASE session_bucket WHEN 1 THEN '1 (first)' WHEN 6 THEN '6–10' WHEN 11 THEN '11+'
                                                   ELSE session_bucket::VARCHAR END
           WHEN 'site' THEN site
           WHEN 'service' THEN service
           ELSE 'All appointments' END AS level,
       CASE dimension
           WHEN 'weekday' THEN weekday WHEN 'hour' THEN hour WHEN 'weekday_hour' THEN weekday * 100 + hour
           WHEN 'visit' THEN CASE visit WHEN 'First appointment' THEN 1 ELSE 2 END
           WHEN 'session' THEN session_bucket ELSE 0 END::INTEGER AS level_order,
       CASE WHEN dimension IN ('weekday', 'weekday_hour') THEN weekday END AS weekday,
       CASE WHEN dimension IN ('hour', 'weekday_hour') THEN hour END AS hour,
       booked, attended, no_show, late_cancel, cancelled, clinician_cancel
FROM grouped
ORDER BY dimension, level_order, level;
