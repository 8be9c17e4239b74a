-- The review log of one client (every therapist the viewer may see), newest first.
-- Parameters: $client_id, $visible.
-- Returns: reviewed_at TIMESTAMP, therapist_id, therapist_name, reviewed_by, note, follow_up DATE, flags.
SELECT v.reviewed_at, v.therapist_id, coalesce(t.name, v.therapist_id) AS therapist_name, v.reviewed_by, v.note,
       v.follow_up, v.flags
FROM reviews v LEFT JOIN therapists t USING (therapist_id)
WHERE v.client_id = $client_id AND ($visible IS NULL OR list_contains($visible, v.therapist_id))
ORDER BY v.reviewed_at DESC, v.review_id DESC;
