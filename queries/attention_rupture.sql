-- Rule rupture: the relationship's latest rupture in the last $active_days days is not repaired: open (fewer
-- than $repair_sessions ratings since, none back near the earlier level) or unrepaired (that many ratings
-- without recovering, or the client stopped attending). See the rupture_events macro in _macros.sql; with
-- $stored the ruptures are read from rupture_facts (attune.attention.store_current stores them first).
-- Parameters: $as_of, $active_days, $therapist_ids, $supervisors, $sites, $services, $visible, $pairs_stored,
--             $rupture_drop, $srs_cutoff, $repair_sessions, $stored.
-- Returns: client_id, therapist_id, flag_kind, reason, severity, flagged_on (the rupture's date).
-- Severity: 3 unrepaired; 2 open with a rating since that did not recover; 1 open with no rating since (the
-- srs_drop or low_srs rule already flags that same rating, so the rupture only adds that it awaits repair).
WITH latest AS (
    SELECT e.*
    FROM judged_ruptures($as_of, $rupture_drop, $srs_cutoff, $repair_sessions, $active_days, $stored) e
    SEMI JOIN considered_pairs($as_of, $active_days, $therapist_ids, $supervisors, $sites, $services,
                              $visible, $pairs_stored) p USING (client_id, therapist_id)
    WHERE e.status IN ('open', 'unrepaired') AND $as_of::DATE - e.rupture_at::DATE <= $active_days
    QUALIFY row_number() OVER (PARTITION BY e.client_id, e.therapist_id ORDER BY e.seq DESC) = 1
)
SELECT client_id, therapist_id, 'rupture' AS flag_kind,
       printf('Rupture on %s: SRS %.1f → %.1f, ', strftime(rupture_at, '%Y-%m-%d'), before_srs, rupture_srs)
       || CASE WHEN status = 'open' AND ratings_since = 0 THEN 'not yet repaired (no rating since).'
               WHEN status = 'open' THEN printf('not yet repaired (%d rating since: %.1f).', ratings_since,
                                                latest_since_srs)
               WHEN stopped THEN 'not repaired: the client stopped attending.'
               ELSE printf('not repaired in the %d ratings since (latest %.1f).', ratings_since, latest_since_srs)
          END AS reason,
       CASE WHEN status = 'unrepaired' THEN 3 WHEN ratings_since > 0 THEN 2 ELSE 1 END AS severity,
       rupture_at::DATE AS flagged_on
FROM latest;
