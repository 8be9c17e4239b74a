-- Rule switch_request: an open request to change therapist, or one made in the last $active_days days
-- (whatever became of it). Framed neutrally, with the client's own reason: asking is often healthy
-- self-advocacy about fit. One row per relationship: the open request first, then the newest.
-- Parameters: $as_of, $active_days, $therapist_ids, $supervisors, $sites, $services, $visible, $pairs_stored.
-- Returns: client_id, therapist_id, flag_kind, reason, severity (3 open, 2 otherwise), flagged_on.
SELECT r.client_id, r.from_therapist_id AS therapist_id, 'switch_request' AS flag_kind,
       printf('Asked to change therapist on %s (%s): "%s"', strftime(r.requested_at, '%Y-%m-%d'),
              coalesce(r.status, 'status not recorded'), coalesce(r.reason, 'no reason given')) AS reason,
       CASE WHEN r.status = 'open' THEN 3 ELSE 2 END AS severity,
       r.requested_at AS flagged_on
FROM switch_requests r
SEMI JOIN considered_pairs($as_of, $active_days, $therapist_ids, $supervisors, $sites, $services,
                         $visible, $pairs_stored) p ON p.client_id = r.client_id AND p.therapist_id = r.from_therapist_id
WHERE r.requested_at <= $as_of::DATE
  AND (r.status = 'open' OR $as_of::DATE - r.requested_at <= $active_days)
QUALIFY row_number() OVER (PARTITION BY r.client_id, r.from_therapist_id
                           ORDER BY (r.status = 'open') DESC, r.requested_at DESC, r.request_id DESC) = 1;
