-- One client's own words up to $as_of, beside the scores: feedback comments with the session's SRS, and the
-- reasons given with requests to change therapist (with every therapist the viewer may see).
-- Parameters: $client_id, $as_of, $visible.
-- Returns: said_on DATE, source ('feedback' | 'switch request'), therapist_id, therapist_name, srs_total, text.
SELECT r.rated_at::DATE AS said_on, 'feedback' AS source, r.therapist_id,
       coalesce(t.name, r.therapist_id) AS therapist_name, round(r.srs_total, 1) AS srs_total, trim(r.comment) AS text
FROM rating_facts r LEFT JOIN therapists t USING (therapist_id)
WHERE is_client(r.client_key, r.client_id, $client_id)
  AND r.rated_at < $as_of::DATE + INTERVAL 1 DAY
  AND nullif(trim(r.comment), '') IS NOT NULL
  AND ($visible IS NULL OR list_contains($visible, r.therapist_id))
UNION ALL
SELECT s.requested_at, 'switch request', s.from_therapist_id, coalesce(t.name, s.from_therapist_id), NULL,
       trim(s.reason)
FROM switch_requests s LEFT JOIN therapists t ON t.therapist_id = s.from_therapist_id
WHERE s.client_id = $client_id AND s.requested_at <= $as_of::DATE AND nullif(trim(s.reason), '') IS NOT NULL
  AND ($visible IS NULL OR list_contains($visible, s.from_therapist_id))
ORDER BY said_on, source;
