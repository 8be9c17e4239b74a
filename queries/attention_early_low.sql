-- Rule early_low: still in the first $early_sessions rated sessions with this therapist, and their mean SRS is
-- below the cutoff (the latest rating within the last $active_days days). A weak early alliance is one of the
-- strongest predictors of dropping out.
-- Parameters: $as_of, $active_days, $therapist_ids, $supervisors, $sites, $services, $visible, $pairs_stored,
--             $srs_cutoff, $early_sessions.
-- Returns: client_id, therapist_id, flag_kind, reason, severity (3), flagged_on.
WITH early AS (
    SELECT r.client_id, r.therapist_id, count(*) AS rated, round(avg(r.srs_total), 1) AS mean_srs,
           max(r.rated_at) AS last_rated
    FROM attention_ratings($as_of) r
    SEMI JOIN considered_pairs($as_of, $active_days, $therapist_ids, $supervisors, $sites, $services,
                         $visible, $pairs_stored) p USING (client_id, therapist_id)
    GROUP BY r.client_id, r.therapist_id
)
SELECT client_id, therapist_id, 'early_low' AS flag_kind,
       CASE WHEN rated = 1 THEN printf('Low alliance early: SRS %.1f at the first rated session (cutoff %g).',
                                       mean_srs, $srs_cutoff)
            ELSE printf('Low alliance early: mean SRS %.1f over the first %d rated sessions (cutoff %g).',
                        mean_srs, rated, $srs_cutoff)
       END AS reason,
       3 AS severity,
       last_rated::DATE AS flagged_on
FROM early
WHERE rated <= $early_sessions AND mean_srs < $srs_cutoff AND $as_of::DATE - last_rated::DATE <= $active_days;
