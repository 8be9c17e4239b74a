-- The values the filter bar offers: every therapist with sessions, their team and site; sites and services.
-- Parameters: $visible (therapists the viewer may see; NULL = all).
-- Returns: therapist_id, therapist_name, supervisor, site, services VARCHAR[], session_sites VARCHAR[].
SELECT s.therapist_id,
       coalesce(any_value(t.name), s.therapist_id) AS therapist_name,
       any_value(t.supervisor) AS supervisor,
       any_value(t.site) AS site,
       coalesce(list_distinct(list(s.service) FILTER (WHERE s.service IS NOT NULL)), []) AS services,
       coalesce(list_distinct(list(s.site) FILTER (WHERE s.site IS NOT NULL)), []) AS session_sites
FROM sessions s LEFT JOIN therapists t USING (therapist_id)
WHERE $visible IS NULL OR list_contains($visible, s.therapist_id)
GROUP BY s.therapist_id
ORDER BY therapist_name;
