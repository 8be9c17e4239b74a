-- Helpers used by the named queries, (re)defined in the database by every read-write connection
-- (cursors do not see TEMP macros, so these are stored).
-- in_filter(value, list): true when the list is empty/NULL (no filter) or contains the value.
CREATE OR REPLACE MACRO in_filter(v, l) AS (l IS NULL OR len(l) = 0 OR list_contains(l, v));

-- The shared filter bar as table macros, so every page filters the same way.
-- d0/d1: inclusive date range (NULL = open); tids/sups/sites/services: selections (empty = all);
-- visible: therapists the viewer may see (NULL = all, empty = none).
CREATE OR REPLACE MACRO in_scope(therapist_id, supervisor, site, service, ts, d0, d1, tids, sups, sites,
                                      services, visible) AS (
    (d0 IS NULL OR ts >= d0::TIMESTAMP)
    AND (d1 IS NULL OR ts < d1::TIMESTAMP + INTERVAL 1 DAY)
    AND in_filter(therapist_id, tids)
    AND in_filter(supervisor, sups)
    AND in_filter(site, sites)
    AND in_filter(service, services)
    AND (visible IS NULL OR list_contains(visible, therapist_id))
);

CREATE OR REPLACE MACRO scoped_sessions(d0, d1, tids, sups, sites, services, visible) AS TABLE
SELECT s.*, t.supervisor, coalesce(t.name, s.therapist_id) AS therapist_name
FROM sessions s LEFT JOIN therapists t USING (therapist_id)
WHERE in_scope(s.therapist_id, t.supervisor, s.site, s.service, s.scheduled_at, d0, d1, tids, sups, sites,
               services, visible);

-- Reads rating_facts, the ratings view stored as a table and rebuilt on import (attune/derived.py).
CREATE OR REPLACE MACRO scoped_ratings(d0, d1, tids, sups, sites, services, visible) AS TABLE
SELECT r.*, t.supervisor, coalesce(t.name, r.therapist_id) AS therapist_name
FROM rating_facts r LEFT JOIN therapists t USING (therapist_id)
WHERE in_scope(r.therapist_id, t.supervisor, r.site, r.service, r.rated_at, d0, d1, tids, sups, sites,
               services, visible);
