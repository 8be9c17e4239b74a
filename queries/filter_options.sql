-- The values the filter bar offers: every therapist with sessions, their team and site; sites and services.
-- Parameters: $visible (therapists the viewer may see; NULL = all).
-- Returns: therapist_id, therapist_name, supervisor, site, services VARCHAR[], session_sites VARCHAR[].
-- The distinct (therapist, site, service) combinations are found first: a few hundred rows to group
-- instead of a list of every session per therapist (1 s -> 0.08 s at 1M sessions).
WITH combos AS (
    SELECT DISTINCT therapist_id, site, service FROM sessions
    WHERE $visible IS NULL OR list_contains($visible, therapist_id)
)
SELECT c.therapist_id,
       coalesce(any_value(t.name), c.therapist_id) AS therapist_name,
       any_value(t.supervisor) AS supervisor,
       any_value(t.site) AS site,
       coalesce(list_sort(list_distinct(list(c.service) FILTER (WHERE c.service IS NOT NULL))), []) AS services,
       coalesce(list_sort(list_distinct(list(c.site) FILTER (WHERE c.site IS NOT NULL))), []) AS session_sites
FROM combos c LEFT JOIN therapists t USING (therapist_id)
GROUP BY c.therapist_id
ORDER BY therapist_name, c.therapist_id;
