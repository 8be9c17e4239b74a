-- Appointment outcomes per week or month, for the Attendance page's trend.
-- Parameters: $start_date, $end_date, $therapist_ids, $supervisors, $sites, $services, $visible,
--             $grain ('week' or 'month'; weeks start on Monday).
-- Returns: period DATE, booked, attended, no_show, late_cancel, cancelled, clinician_cancel BIGINT.
SELECT date_trunc($grain, scheduled_at)::DATE AS period, UNNEST(outcome_counts(status))
FROM scoped_sessions($start_date, $end_date, $therapist_ids, $supervisors, $sites, $services, $visible)
GROUP BY 1
ORDER BY 1;
