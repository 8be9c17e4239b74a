-- One client's requests to change therapist up to $as_of.
-- Parameters: $client_id, $as_of, $visible.
-- Returns: request_id, requested_at DATE, from_therapist_id, from_name, to_therapist_id, to_name, reason, status.
SELECT r.request_id, r.requested_at, r.from_therapist_id, coalesce(t.name, r.from_therapist_id) AS from_name,
       r.to_therapist_id, coalesce(n.name, r.to_therapist_id) AS to_name, r.reason, r.status
FROM switch_requests r
LEFT JOIN therapists t ON t.therapist_id = r.from_therapist_id
LEFT JOIN therapists n ON n.therapist_id = r.to_therapist_id
WHERE r.client_id = $client_id AND r.requested_at <= $as_of::DATE
  AND ($visible IS NULL OR list_contains($visible, r.from_therapist_id))
ORDER BY r.requested_at;
