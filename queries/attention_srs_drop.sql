-- Rule srs_drop: the latest SRS total fell at least $srs_drop points from the previous rating, or lies that far
-- below the client's own average of all earlier ratings with this therapist. Only a latest rating within the
-- last $active_days days counts.
-- Parameters: $as_of, $active_days, $therapist_ids, $supervisors, $sites, $services, $visible, $pairs_stored,
--             $srs_drop.
-- Returns: client_id, therapist_id, flag_kind, reason, severity (3 when the drop is at least twice $srs_drop,
--          else 2), flagged_on.
WITH scored AS (
    SELECT r.client_id, r.therapist_id, r.rated_at, r.srs_total, r.rev,
           lag(r.srs_total) OVER w AS previous,
           avg(r.srs_total) OVER (w ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS earlier_mean,
           count(*) OVER (w ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS earlier_n
    FROM attention_ratings($as_of) r
    SEMI JOIN considered_pairs($as_of, $active_days, $therapist_ids, $supervisors, $sites, $services,
                         $visible, $pairs_stored) p USING (client_id, therapist_id)
    WINDOW w AS (PARTITION BY r.client_id, r.therapist_id ORDER BY r.seq)
),
drops AS (
    SELECT *, round(previous - srs_total, 1) AS from_previous, round(earlier_mean - srs_total, 1) AS from_mean
    FROM scored WHERE rev = 1 AND earlier_n > 0 AND $as_of::DATE - rated_at::DATE <= $active_days
)
SELECT client_id, therapist_id, 'srs_drop' AS flag_kind,
       CASE WHEN from_previous >= $srs_drop
            THEN printf('SRS fell %.1f points from the previous rating: %.1f to %.1f on %s.', from_previous, previous,
                        srs_total, strftime(rated_at, '%Y-%m-%d'))
            ELSE printf('SRS %.1f on %s is %.1f points below the client''s own average of %.1f (%d earlier '
                        || 'ratings).', srs_total, strftime(rated_at, '%Y-%m-%d'), from_mean, earlier_mean, earlier_n)
       END AS reason,
       CASE WHEN greatest(from_previous, from_mean) >= 2 * $srs_drop THEN 3 ELSE 2 END AS severity,
       rated_at::DATE AS flagged_on
FROM drops
WHERE from_previous >= $srs_drop OR from_mean >= $srs_drop;
