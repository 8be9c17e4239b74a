-- Weekly trend for the Overview: mean SRS and no-show rate per ISO week (weeks start on Monday).
-- Parameters: $start_date, $end_date, $therapist_ids, $supervisors, $sites, $services, $visible.
-- Returns: week DATE, rated BIGINT, mean_srs DOUBLE, srs_sd DOUBLE, no_show BIGINT, no_show_denominator BIGINT.
WITH s AS (
    SELECT date_trunc('week', scheduled_at)::DATE AS week,
           count(*) FILTER (WHERE status = 'no_show') AS no_show,
           count(*) FILTER (WHERE status IN ('attended', 'no_show', 'late_cancel')) AS no_show_denominator
    FROM scoped_sessions($start_date, $end_date, $therapist_ids, $supervisors, $sites, $services, $visible)
    GROUP BY 1
),
r AS (
    SELECT date_trunc('week', rated_at)::DATE AS week, count(srs_total) AS rated, avg(srs_total) AS mean_srs,
           stddev_samp(srs_total) AS srs_sd
    FROM scoped_ratings($start_date, $end_date, $therapist_ids, $supervisors, $sites, $services, $visible)
    WHERE srs_total IS NOT NULL
    GROUP BY 1
)
SELECT week, coalesce(r.rated, 0) AS rated, r.mean_srs, r.srs_sd,
       coalesce(s.no_show, 0) AS no_show, coalesce(s.no_show_denominator, 0) AS no_show_denominator
FROM s FULL OUTER JOIN r USING (week)
ORDER BY week;
