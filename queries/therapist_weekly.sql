-- One therapist's week-by-week SRS and no-show rate beside the clinic's (everyone in scope), ISO weeks.
-- Parameters: $therapist_id, $start_date, $end_date, $therapist_ids, $supervisors, $sites, $services,
--             $visible (pass an empty $therapist_ids for the clinic).
-- Returns: week DATE, rated BIGINT, mean_srs DOUBLE, srs_sd DOUBLE, no_show BIGINT, no_show_denominator BIGINT,
--   clinic_rated BIGINT, clinic_mean_srs DOUBLE, clinic_no_show BIGINT, clinic_no_show_denominator BIGINT.
WITH s AS (
    SELECT date_trunc('week', scheduled_at)::DATE AS week,
           count(*) FILTER (WHERE status = 'no_show' AND therapist_id = $therapist_id) AS no_show,
           count(*) FILTER (WHERE status IN ('attended', 'no_show', 'late_cancel')
                            AND therapist_id = $therapist_id) AS no_show_denominator,
           count(*) FILTER (WHERE status = 'no_show') AS clinic_no_show,
           count(*) FILTER (WHERE status IN ('attended', 'no_show', 'late_cancel')) AS clinic_no_show_denominator
    FROM scoped_sessions($start_date, $end_date, $therapist_ids, $supervisors, $sites, $services, $visible)
    GROUP BY 1
),
r AS (
    SELECT date_trunc('week', rated_at)::DATE AS week,
           count(srs_total) FILTER (WHERE therapist_id = $therapist_id) AS rated,
           avg(srs_total) FILTER (WHERE therapist_id = $therapist_id) AS mean_srs,
           stddev_samp(srs_total) FILTER (WHERE therapist_id = $therapist_id) AS srs_sd,
           count(srs_total) AS clinic_rated,
           avg(srs_total) AS clinic_mean_srs
    FROM scoped_ratings($start_date, $end_date, $therapist_ids, $supervisors, $sites, $services, $visible)
    WHERE srs_total IS NOT NULL
    GROUP BY 1
)
SELECT week, coalesce(r.rated, 0) AS rated, r.mean_srs, r.srs_sd,
       coalesce(s.no_show, 0) AS no_show, coalesce(s.no_show_denominator, 0) AS no_show_denominator,
       coalesce(r.clinic_rated, 0) AS clinic_rated, r.clinic_mean_srs,
       coalesce(s.clinic_no_show, 0) AS clinic_no_show,
       coalesce(s.clinic_no_show_denominator, 0) AS clinic_no_show_denominator
FROM s FULL OUTER JOIN r USING (week)
ORDER BY week;
