-- The stored flags (attention_flag_facts, computed for every relationship on the stored day with the stored
-- thresholds) of the relationships within the filter selection, as the rule queries would return them.
-- Parameters: $therapist_ids, $supervisors, $sites, $services, $visible.
-- Returns: client_id, therapist_id, flag_kind, reason, severity, flagged_on.
SELECT f.client_id, f.therapist_id, f.flag_kind, f.reason, f.severity, f.flagged_on
FROM attention_flag_facts f
JOIN attention_pair_facts p USING (client_id, therapist_id)
WHERE in_scope(p.therapist_id, p.supervisor, p.site, p.service, NULL, NULL, NULL, $therapist_ids, $supervisors,
               $sites, $services, $visible);
