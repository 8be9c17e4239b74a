-- Ruptures noticed in the period (the rupture rating's date between $start_date and $end_date), each judged on
-- the ratings up to $as_of (see the rupture_events macro in _macros.sql), within the filter selection.
-- Parameters: $stored (read the stored rupture_facts: see judged_ruptures), $as_of, $rupture_drop, $srs_cutoff, $repair_sessions, $active_days, $start_date, $end_date,
--             $therapist_ids, $supervisors, $sites, $services, $visible.
-- Returns: client_id, therapist_id, therapist_name, supervisor, rupture_on DATE, before_srs, rupture_srs,
--   drop_points, below_cutoff BOOLEAN, status (repaired | unrepaired | open), stopped BOOLEAN, ratings_since,
--   repair_on DATE, repair_srs, sessions_to_repair, latest_since_srs.
SELECT e.client_id, e.therapist_id, coalesce(t.name, e.therapist_id) AS therapist_name, t.supervisor,
       e.rupture_at::DATE AS rupture_on, e.before_srs, e.rupture_srs, e.drop_points, e.below_cutoff, e.status,
       e.stopped, e.ratings_since, e.repair_at::DATE AS repair_on, e.repair_srs, e.sessions_to_repair,
       e.latest_since_srs
FROM judged_ruptures($as_of, $rupture_drop, $srs_cutoff, $repair_sessions, $active_days, $stored) e
LEFT JOIN therapists t USING (therapist_id)
WHERE in_scope(e.therapist_id, t.supervisor, e.site, e.service, e.rupture_at, $start_date, $end_date,
               $therapist_ids, $supervisors, $sites, $services, $visible)
ORDER BY e.rupture_at, e.client_id, e.therapist_id;
