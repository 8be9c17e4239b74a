-- The values the filter bar offers: every therapist with sessions, their team and site; sites and services.
-- Parameters: $visible (therapists the viewer may see; NULL = all).
-- Returns: therapist_id, therapist_name, supervisor, site, services VARCHAR[], session_sites VARCHAR[].
-- Reads the distinct (therapist, site, service) combinations stored on import (refresh_session_combos.sql):
-- a few thousand rows to group instead of every session.
WITH combos AS (
    SELECT therapist_id, site, service FROM session_combos
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
