-- Clinic-wide rupture and repair over time: ruptures noticed per $grain (week, month or quarter, by the rupture
-- rating's date) in the period, and how they turned out as of $as_of.
-- Parameters: $stored (read the stored rupture_facts: see judged_ruptures), $grain, $as_of, $rupture_drop, $srs_cutoff, $repair_sessions, $active_days, $start_date,
--             $end_date, $therapist_ids, $supervisors, $sites, $services, $visible.
-- Returns: period_start DATE, ruptures BIGINT, repaired BIGINT, unrepaired BIGINT, open BIGINT.
SELECT date_trunc($grain, e.rupture_at)::DATE AS period_start, count(*) AS ruptures,
       count(*) FILTER (WHERE e.status = 'repaired') AS repaired,
       count(*) FILTER (WHERE e.status = 'unrepaired') AS unrepaired,
       count(*) FILTER (WHERE e.status = 'open') AS open
FROM judged_ruptures($as_of, $rupture_drop, $srs_cutoff, $repair_sessions, $active_days, $stored) e
LEFT JOIN therapists t USING (therapist_id)
WHERE in_scope(e.therapist_id, t.supervisor, e.site, e.service, e.rupture_at, $start_date, $end_date,
               $therapist_ids, $supervisors, $sites, $services, $visible)
GROUP BY 1
ORDER BY 1;
