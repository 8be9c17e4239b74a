-- The stored relationships (attention_pair_facts) within the filter selection, with their review state read
-- now: the same columns as attention_relationships.sql, and the same rule for `discussed` (is_discussed).
-- Parameters: $as_of, $therapist_ids, $supervisors, $sites, $services, $visible.
SELECT p.*, v.reviewed_at, v.reviewed_by, v.note AS review_note, v.follow_up,
       is_discussed(v.data_batch, p.data_batch, v.follow_up, $as_of) AS discussed
FROM attention_pair_facts p
LEFT JOIN latest_reviews() v USING (client_id, therapist_id)
WHERE in_scope(p.therapist_id, p.supervisor, p.site, p.service, NULL, NULL, NULL, $therapist_ids, $supervisors,
               $sites, $services, $visible);
