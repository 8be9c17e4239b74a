-- The Overview's headline numbers for one period and filter selection.
-- Parameters: $start_date, $end_date, $therapist_ids, $supervisors, $sites, $services, $visible,
--             $srs_cutoff, $dropout_gap_days (estimate rule when no episodes export exists).
-- Returns one row: active_clients, sessions_held, rated_sessions, mean_srs, below_cutoff, no_show,
--   late_cancel, attended, dropouts, ended_episodes, dropout_estimated, switch_requests_made,
--   open_switch_requests.
WITH s AS (
    SELECT * FROM scoped_sessions($start_date, $end_date, $therapist_ids, $supervisors, $sites, $services, $visible)
),
r AS (
    SELECT * FROM scoped_ratings($start_date, $end_date, $therapist_ids, $supervisors, $sites, $services, $visible)
    WHERE srs_total IS NOT NULL
),
scoped_therapists AS (
    SELECT t.therapist_id FROM (SELECT DISTINCT therapist_id FROM sessions) t
    LEFT JOIN therapists th USING (therapist_id)
    WHERE in_filter(t.therapist_id, $therapist_ids) AND in_filter(th.supervisor, $supervisors)
      AND in_filter(th.site, $sites)
      AND ($visible IS NULL OR list_contains($visible, t.therapist_id))
),
ended AS (
    SELECT e.end_reason FROM episodes e
    WHERE e.therapist_id IN (SELECT therapist_id FROM scoped_therapists)
      AND e.end_date BETWEEN $start_date AND $end_date
),
-- Without an episodes export: a client-therapist pair has ended when nothing was attended for
-- $dropout_gap_days after its last attended session; it counts as a dropout when its last booking
-- was missed or cancelled rather than attended.
pairs AS (
    SELECT client_id, therapist_id,
           max(scheduled_at) FILTER (WHERE status = 'attended') AS last_attended,
           arg_max(status, scheduled_at) AS last_status
    FROM sessions
    WHERE therapist_id IN (SELECT therapist_id FROM scoped_therapists)
      AND NOT EXISTS (SELECT 1 FROM episodes)  -- here, not only below: skips the whole scan (~1 s at 1M)
    GROUP BY ALL
),
estimated AS (
    SELECT last_status <> 'attended' AS dropped FROM pairs
    WHERE last_attended::DATE BETWEEN $start_date AND $end_date
      AND last_attended + to_days($dropout_gap_days) <= (SELECT max(scheduled_at) FROM sessions)
),
use_estimate AS (SELECT NOT EXISTS (SELECT 1 FROM episodes) AS yes)
SELECT
    (SELECT count(DISTINCT client_id) FROM s WHERE status = 'attended') AS active_clients,
    (SELECT count(*) FROM s WHERE status = 'attended') AS sessions_held,
    (SELECT count(*) FROM r) AS rated_sessions,
    (SELECT avg(srs_total) FROM r) AS mean_srs,
    (SELECT count(*) FILTER (WHERE srs_total < $srs_cutoff) FROM r) AS below_cutoff,
    (SELECT count(*) FILTER (WHERE status = 'no_show') FROM s) AS no_show,
    (SELECT count(*) FILTER (WHERE status = 'late_cancel') FROM s) AS late_cancel,
    (SELECT count(*) FILTER (WHERE status = 'attended') FROM s) AS attended,
    CASE WHEN (SELECT yes FROM use_estimate) THEN (SELECT count(*) FILTER (WHERE dropped) FROM estimated)
         ELSE (SELECT count(*) FILTER (WHERE end_reason = 'dropout') FROM ended) END AS dropouts,
    CASE WHEN (SELECT yes FROM use_estimate) THEN (SELECT count(*) FROM estimated)
         ELSE (SELECT count(*) FROM ended) END AS ended_episodes,
    (SELECT yes FROM use_estimate) AS dropout_estimated,
    (SELECT count(*) FROM switch_requests
      WHERE from_therapist_id IN (SELECT therapist_id FROM scoped_therapists)
        AND requested_at BETWEEN $start_date AND $end_date) AS switch_requests_made,
    (SELECT count(*) FROM switch_requests
      WHERE from_therapist_id IN (SELECT therapist_id FROM scoped_therapists)
        AND status = 'open' AND requested_at <= $end_date) AS open_switch_requests;
