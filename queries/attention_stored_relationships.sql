-- The stored relationships (attention_pair_facts) within the filter selection, with their review state read
-- now: the same columns as attention_relationships.sql, and the same rule for `discussed` (the latest review
-- saw all the data there is now and its follow-up date, if any, has not come).
-- Parameters: $as_of, $therapist_ids, $supervisors, $sites, $services, $visible.
WITH last_review AS (
    SELECT client_id, therapist_id, arg_max(COLUMNS(* EXCLUDE (client_id, therapist_id)), reviewed_at)
    FROM reviews GROUP BY client_id, therapist_id
)
SELECT p.*, v.reviewed_at, v.reviewed_by, v.note AS review_note, v.follow_up,
       coalesce(v.data_batch >= p.data_batch AND (v.follow_up IS NULL OR v.follow_up > $as_of::DATE), false)
           AS discussed
FROM attention_pair_facts p
LEFT JOIN last_review v USING (client_id, therapist_id)
WHERE in_scope(p.therapist_id, p.supervisor, p.site, p.service, NULL, NULL, NULL, $therapist_ids, $supervisors,
               $sites, $services, $visible);
