-- One client's ruptures with every therapist the viewer may see, judged on the ratings up to $as_of.
-- Parameters: $client_id, $as_of, $rupture_drop, $srs_cutoff, $repair_sessions, $active_days, $visible.
-- Returns: therapist_id, therapist_name, rupture_at TIMESTAMP, before_srs, rupture_srs, drop_points,
--   status (repaired | unrepaired | open), stopped BOOLEAN, ratings_since, repair_at TIMESTAMP, repair_srs,
--   sessions_to_repair.
SELECT e.therapist_id, coalesce(t.name, e.therapist_id) AS therapist_name, e.rupture_at, e.before_srs,
       e.rupture_srs, e.drop_points, e.status, e.stopped, e.ratings_since, e.repair_at, e.repair_srs,
       e.sessions_to_repair
FROM rupture_events($as_of, $rupture_drop, $srs_cutoff, $repair_sessions, $active_days, $client_id) e
LEFT JOIN therapists t USING (therapist_id)
WHERE ($visible IS NULL OR list_contains($visible, e.therapist_id))
ORDER BY e.rupture_at, e.therapist_id;
