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
chosen_therapists AS (
    SELECT therapist_id FROM scoped_therapists($therapist_ids, $supervisors, $sites, $visible)
),
-- Episodes from the export, or estimated from sessions with the gap rule when there is none
-- (see clinic_episodes / estimated_episodes in _macros.sql; the dropout page uses the same definition).
ended AS (
    SELECT end_reason FROM clinic_episodes($dropout_gap_days)
    WHERE therapist_id IN (SELECT therapist_id FROM chosen_therapists)
      AND end_date BETWEEN $start_date AND $end_date
)
SELECT
    (SELECT count(DISTINCT client_id) FROM s WHERE status = 'attended') AS active_clients,
    (SELECT count(*) FROM s WHERE status = 'attended') AS sessions_held,
    (SELECT count(*) FROM r) AS rated_sessions,
    (SELECT avg(srs_total) FROM r) AS mean_srs,
    (SELECT count(*) FILTER (WHERE srs_total < $srs_cutoff) FROM r) AS below_cutoff,
    (SELECT count(*) FILTER (WHERE status = 'no_show') FROM s) AS no_show,
    (SELECT count(*) FILTER (WHERE status = 'late_cancel') FROM s) AS late_cancel,
    (SELECT count(*) FILTER (WHERE status = 'attended') FROM s) AS attended,
    (SELECT count(*) FILTER (WHERE end_reason = 'dropout') FROM ended) AS dropouts,
    (SELECT count(*) FROM ended) AS ended_episodes,
    NOT EXISTS (SELECT 1 FROM episodes) AS dropout_estimated,
    (SELECT count(*) FROM switch_requests
      WHERE from_therapist_id IN (SELECT therapist_id FROM chosen_therapists)
        AND requested_at BETWEEN $start_date AND $end_date) AS switch_requests_made,
    (SELECT count(*) FROM switch_requests
      WHERE from_therapist_id IN (SELECT therapist_id FROM chosen_therapists)
        AND status = 'open' AND requested_at <= $end_date) AS open_switch_requests;
