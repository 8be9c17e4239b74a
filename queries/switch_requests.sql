-- Requests to change therapist for the Fit & switches page, with what happened afterwards.
-- A request is in scope when the therapist it leaves is (therapist, team and site filters, as on the Overview)
-- and it was made in the period or is still open at the period's end.
-- Parameters: $start_date, $end_date, $therapist_ids, $supervisors, $sites, $visible, $dropout_gap_days.
-- Returns: request_id, client_id, from_therapist_id, from_name, to_therapist_id, to_name, requested_at DATE,
--   reason, status, made_in_period BOOLEAN,
--   srs_before DOUBLE, rated_before BIGINT: mean SRS total of the client's last (up to) three ratings with the
--     therapist they left, on or before the request day;
--   srs_after DOUBLE, rated_after BIGINT: mean of the first (up to) three ratings with the new therapist after it;
--   attended_after BIGINT: sessions attended with the new therapist after the request;
--   new_end_date DATE, new_end_reason: how the episode with the new therapist ended (NULLs = still running or
--     none yet), new_estimated BOOLEAN (episode estimated from sessions).
WITH chosen AS (
    SELECT therapist_id, therapist_name FROM scoped_therapists($therapist_ids, $supervisors, $sites, $visible)
),
req AS MATERIALIZED (
    SELECT q.request_id, q.client_id, q.from_therapist_id, c.therapist_name AS from_name, q.to_therapist_id,
           coalesce(t.name, q.to_therapist_id) AS to_name, q.requested_at, q.reason, q.status,
           q.requested_at BETWEEN $start_date AND $end_date AS made_in_period
    FROM switch_requests q
    JOIN chosen c ON c.therapist_id = q.from_therapist_id
    LEFT JOIN therapists t ON t.therapist_id = q.to_therapist_id
    WHERE q.requested_at BETWEEN $start_date AND $end_date
       OR (q.status = 'open' AND q.requested_at <= $end_date)
),
-- The SRS ratings of the requests' clients, read once for before and after (at 10M sessions each read is a scan of
-- every rating: the query 0.85-1.0 → 0.55-0.67 s, Fit & switches' slowest step).
client_ratings AS MATERIALIZED (
    SELECT client_id, therapist_id, rated_at, feedback_key, srs_total FROM rating_facts
    WHERE srs_total IS NOT NULL AND client_id IN (SELECT client_id FROM req)
),
before AS (
    SELECT req.request_id, r.srs_total,
           row_number() OVER (PARTITION BY req.request_id ORDER BY r.rated_at DESC, r.feedback_key DESC) AS k
    FROM req JOIN client_ratings r
      ON r.client_id = req.client_id AND r.therapist_id = req.from_therapist_id
     AND r.rated_at::DATE <= req.requested_at
    QUALIFY k <= 3
),
after AS (
    SELECT req.request_id, r.srs_total,
           row_number() OVER (PARTITION BY req.request_id ORDER BY r.rated_at, r.feedback_key) AS k
    FROM req JOIN client_ratings r
      ON r.client_id = req.client_id AND r.therapist_id = req.to_therapist_id
     AND r.rated_at::DATE > req.requested_at
    QUALIFY k <= 3
),
before_mean AS (SELECT request_id, avg(srs_total) AS srs_before, count(*) AS rated_before FROM before GROUP BY 1),
after_mean AS (SELECT request_id, avg(srs_total) AS srs_after, count(*) AS rated_after FROM after GROUP BY 1),
attended_after AS (
    SELECT req.request_id, count(*) AS attended_after
    FROM req JOIN sessions s
      ON s.client_id = req.client_id AND s.therapist_id = req.to_therapist_id
     AND s.scheduled_at::DATE > req.requested_at AND s.status = 'attended'
    GROUP BY req.request_id
),
new_episode AS (
    SELECT req.request_id, e.end_date AS new_end_date, e.end_reason AS new_end_reason, e.estimated AS new_estimated
    FROM req JOIN clinic_episodes($dropout_gap_days) e
      ON e.client_id = req.client_id AND e.therapist_id = req.to_therapist_id
     AND (e.end_date IS NULL OR e.end_date >= req.requested_at)
    QUALIFY row_number() OVER (PARTITION BY req.request_id ORDER BY e.start_date) = 1
)
SELECT req.*, bm.srs_before, coalesce(bm.rated_before, 0) AS rated_before, am.srs_after,
       coalesce(am.rated_after, 0) AS rated_after, coalesce(aa.attended_after, 0) AS attended_after,
       ne.new_end_date, ne.new_end_reason, ne.new_estimated
FROM req
LEFT JOIN before_mean bm USING (request_id)
LEFT JOIN after_mean am USING (request_id)
LEFT JOIN attended_after aa USING (request_id)
LEFT JOIN new_episode ne USING (request_id)
ORDER BY req.requested_at, req.request_id;
