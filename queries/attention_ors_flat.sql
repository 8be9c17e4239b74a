-- Rule ors_flat: after $ors_sessions or more attended sessions, the ORS total has not improved by the reliable
-- change of $ors_change points since the client's first ORS with this therapist, for a client who started below
-- the clinical cutoff $ors_cutoff (above it, little change is expected). Needs two ORS ratings, the latest
-- within the last $active_days days.
-- Parameters: $as_of, $active_days, $therapist_ids, $supervisors, $sites, $services, $visible, $pairs_stored,
--             $ors_sessions, $ors_change, $ors_cutoff.
-- Returns: client_id, therapist_id, flag_kind, reason, severity (1), flagged_on.
WITH pairs AS (
    SELECT client_id, therapist_id, sessions_attended
    FROM considered_pairs($as_of, $active_days, $therapist_ids, $supervisors, $sites, $services,
                         $visible, $pairs_stored)
),
ors AS (
    SELECT r.client_id, r.therapist_id, count(*) AS rated,
           -- rowid is rating_facts' (rated_at, feedback_key) order (refresh_rating_facts.sql): ties on rated_at
           -- are broken by feedback_key, so the flag is stable, and an integer key is cheaper than the pair
           arg_min(round(r.ors_total, 1), r.rowid) AS first_ors,
           arg_max(round(r.ors_total, 1), r.rowid) AS last_ors,
           max(r.rated_at) AS last_rated
    FROM rating_facts r
    SEMI JOIN pairs p USING (client_id, therapist_id)
    WHERE r.ors_total IS NOT NULL AND r.rated_at < $as_of::DATE + INTERVAL 1 DAY
    GROUP BY r.client_id, r.therapist_id
)
SELECT o.client_id, o.therapist_id, 'ors_flat' AS flag_kind,
       printf('ORS %+.1f points in %d sessions (%.1f to %.1f), short of the reliable change of %g.',
              round(o.last_ors - o.first_ors, 1), p.sessions_attended, o.first_ors, o.last_ors,
              $ors_change) AS reason,
       1 AS severity,
       o.last_rated::DATE AS flagged_on
FROM ors o JOIN pairs p USING (client_id, therapist_id)
WHERE o.rated >= 2 AND p.sessions_attended >= $ors_sessions AND o.first_ors < $ors_cutoff
  AND round(o.last_ors - o.first_ors, 1) < $ors_change AND $as_of::DATE - o.last_rated::DATE <= $active_days;
