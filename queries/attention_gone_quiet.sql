-- Rule gone_quiet: more than $gap_days days since the last attended session, with no ending recorded (an ended
-- episode takes the relationship off the list altogether). Clients never seen are left to missed_sessions.
-- Parameters: $as_of, $active_days, $therapist_ids, $supervisors, $sites, $services, $visible, $pairs_stored,
--             $gap_days.
-- Returns: client_id, therapist_id, flag_kind, reason, severity (2), flagged_on (the first day over the gap).
SELECT client_id, therapist_id, 'gone_quiet' AS flag_kind,
       printf('No attended session for %d days (last on %s), and no ending recorded.',
              $as_of::DATE - last_attended::DATE, strftime(last_attended, '%Y-%m-%d')) AS reason,
       2 AS severity,
       last_attended::DATE + $gap_days::INTEGER + 1 AS flagged_on
FROM considered_pairs($as_of, $active_days, $therapist_ids, $supervisors, $sites, $services,
                         $visible, $pairs_stored)
WHERE last_attended IS NOT NULL AND $as_of::DATE - last_attended::DATE > $gap_days;
