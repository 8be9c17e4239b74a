-- Per therapist and ISO week (Monday start): mean SRS over rated sessions and the no-show rate's parts, the
-- way the pages compute them (scoped macros). The benchmark's "same aggregates" as its pandas baseline
-- (bench/baselines.py), which checks both give the same numbers.
-- Parameters: $start_date, $end_date, $therapist_ids, $supervisors, $sites, $services, $visible.
-- Returns: therapist_id, week DATE, rated BIGINT, mean_srs DOUBLE, no_show BIGINT, no_show_denominator BIGINT.
WITH s AS (
    SELECT therapist_id, date_trunc('week', scheduled_at)::DATE AS week,
           count(*) FILTER (WHERE status = 'no_show') AS no_show,
           count(*) FILTER (WHERE status IN ('attended', 'no_show', 'late_cancel')) AS no_show_denominator
    FROM scoped_sessions($start_date, $end_date, $therapist_ids, $supervisors, $sites, $services, $visible)
    GROUP BY ALL
),
r AS (
    SELECT therapist_id, date_trunc('week', rated_at)::DATE AS week, count(srs_total) AS rated,
           avg(srs_total) AS mean_srs
    FROM scoped_ratings($start_date, $end_date, $therapist_ids, $supervisors, $sites, $services, $visible)
    WHERE srs_total IS NOT NULL
    GROUP BY ALL
)
SELECT therapist_id, week, coalesce(r.rated, 0) AS rated, r.mean_srs, coalesce(s.no_show, 0) AS no_show,
       coalesce(s.no_show_denominator, 0) AS no_show_denominator
FROM s FULL OUTER JOIN r USING (therapist_id, week)
ORDER BY therapist_id, week;
