-- The therapists one client has booked with (among those the viewer may see): the only relationships the client's
-- flags can be about, so the rules need not run for everyone else.
-- Parameters: $client_id, $visible. Returns: therapist_id.
SELECT DISTINCT therapist_id FROM sessions
WHERE is_client(client_key, client_id, $client_id)
  AND ($visible IS NULL OR list_contains($visible, therapist_id))
ORDER BY therapist_id;
