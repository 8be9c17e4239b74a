-- Requests to change therapist still open at the end of the period, for therapists in the filter's scope.
-- Parameters: $end_date, $therapist_ids, $supervisors, $sites, $visible.
-- Returns: request_id, client_id, from_therapist_id, from_therapist, to_therapist_id, to_therapist, requested_at DATE,
--          days_open INTEGER, reason.
SELECT w.request_id, w.client_id, w.from_therapist_id,
       coalesce(f.name, w.from_therapist_id) AS from_therapist,
       w.to_therapist_id, coalesce(t.name, w.to_therapist_id) AS to_therapist,
       w.requested_at, ($end_date::DATE - w.requested_at)::INTEGER AS days_open, w.reason
FROM switch_requests w
LEFT JOIN therapists f ON f.therapist_id = w.from_therapist_id
LEFT JOIN therapists t ON t.therapist_id = w.to_therapist_id
WHERE w.status = 'open' AND w.requested_at <= $end_date
  AND in_filter(w.from_therapist_id, $therapist_ids) AND in_filter(f.supervisor, $supervisors)
  AND in_filter(f.site, $sites)
  AND ($visible IS NULL OR list_contains($visible, w.from_therapist_id))
ORDER BY w.requested_at, w.request_id;
