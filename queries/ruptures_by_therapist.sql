-- Rupture and repair per therapist for the period: how many ruptures were noticed (rupture rating in the
-- period), how they turned out as of $as_of, and how many rated sessions a repair took. Every therapist with a
-- rating in the period is listed, those without a rupture too.
-- Parameters: $stored (read the stored rupture_facts: see judged_ruptures), $as_of, $rupture_drop, $srs_cutoff, $repair_sessions, $active_days, $start_date, $end_date,
--             $therapist_ids, $supervisors, $sites, $services, $visible.
-- Returns: therapist_id, therapist_name, supervisor, clients BIGINT (clients rated in the period), rated BIGINT,
--   ruptures BIGINT, repaired BIGINT, unrepaired BIGINT, open BIGINT, stopped BIGINT (unrepaired because the
--   client stopped attending), median_to_repair DOUBLE (rated sessions from rupture to repair).
WITH rated AS (
    SELECT therapist_id, any_value(therapist_name) AS therapist_name, any_value(supervisor) AS supervisor,
           count(DISTINCT client_id) AS clients, count(*) AS rated
    FROM scoped_ratings($start_date, $end_date, $therapist_ids, $supervisors, $sites, $services, $visible)
    WHERE srs_total IS NOT NULL
    GROUP BY therapist_id
),
ruptured AS (
    SELECT e.therapist_id, count(*) AS ruptures,
           count(*) FILTER (WHERE e.status = 'repaired') AS repaired,
           count(*) FILTER (WHERE e.status = 'unrepaired') AS unrepaired,
           count(*) FILTER (WHERE e.status = 'open') AS open,
           count(*) FILTER (WHERE e.stopped) AS stopped,
           median(e.sessions_to_repair) AS median_to_repair
    FROM judged_ruptures($as_of, $rupture_drop, $srs_cutoff, $repair_sessions, $active_days, $stored) e
    LEFT JOIN therapists t USING (therapist_id)
    WHERE in_scope(e.therapist_id, t.supervisor, e.site, e.service, e.rupture_at, $start_date, $end_date,
                   $therapist_ids, $supervisors, $sites, $services, $visible)
    GROUP BY e.therapist_id
)
SELECT r.therapist_id, r.therapist_name, r.supervisor, r.clients, r.rated,
       coalesce(u.ruptures, 0) AS ruptures, coalesce(u.repaired, 0) AS repaired,
       coalesce(u.unrepaired, 0) AS unrepaired, coalesce(u.open, 0) AS open, coalesce(u.stopped, 0) AS stopped,
       u.median_to_repair::DOUBLE AS median_to_repair
FROM rated r LEFT JOIN ruptured u USING (therapist_id)
ORDER BY r.therapist_id;
