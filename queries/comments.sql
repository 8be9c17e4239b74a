-- What clients said in the period, in their own words: feedback comments (with the session's SRS) and the
-- reasons given with requests to change therapist, within the filter selection. A request takes the site and
-- service of the client's latest session with that therapist.
-- Parameters: $start_date, $end_date, $therapist_ids, $supervisors, $sites, $services, $visible.
-- Returns: said_on DATE, source ('feedback' | 'switch request'), client_id, therapist_id, therapist_name,
--   supervisor, srs_total DOUBLE (feedback only), text.
WITH pair_place AS (  -- only the pairs a request names: grouping every pair in sessions cost most of the query
    SELECT client_id, therapist_id, arg_max(site, scheduled_at) AS site, arg_max(service, scheduled_at) AS service
    FROM sessions
    WHERE (client_id, therapist_id) IN (SELECT (client_id, from_therapist_id) FROM switch_requests)
    GROUP BY client_id, therapist_id
)
SELECT r.rated_at::DATE AS said_on, 'feedback' AS source, r.client_id, r.therapist_id, r.therapist_name,
       r.supervisor, round(r.srs_total, 1) AS srs_total, trim(r.comment) AS text
FROM scoped_ratings($start_date, $end_date, $therapist_ids, $supervisors, $sites, $services, $visible) r
WHERE nullif(trim(r.comment), '') IS NOT NULL
UNION ALL
SELECT s.requested_at, 'switch request', s.client_id, s.from_therapist_id, coalesce(t.name, s.from_therapist_id),
       t.supervisor, NULL, trim(s.reason)
FROM switch_requests s
LEFT JOIN therapists t ON t.therapist_id = s.from_therapist_id
LEFT JOIN pair_place p ON p.client_id = s.client_id AND p.therapist_id = s.from_therapist_id
WHERE nullif(trim(s.reason), '') IS NOT NULL
  AND in_scope(s.from_therapist_id, t.supervisor, p.site, p.service, s.requested_at, $start_date, $end_date,
               $therapist_ids, $supervisors, $sites, $services, $visible)
ORDER BY said_on, client_id, source, therapist_id, text;
