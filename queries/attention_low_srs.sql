-- Rule low_srs: the latest SRS total is below the cutoff, or any of its four items is below the item cutoff
-- (a client can keep the total at 36 while one item falls). Only a rating within the last $active_days days counts.
-- Parameters: $as_of, $active_days, $therapist_ids, $supervisors, $sites, $services, $visible, $pairs_stored,
--             $srs_cutoff, $srs_item_cutoff.
-- Returns: client_id, therapist_id, flag_kind, reason, severity (2 total below cutoff, 1 an item only), flagged_on.
WITH latest AS (
    SELECT r.client_id, r.therapist_id, r.rated_at, r.srs_total,
           list_filter([{'item': 'relationship', 'score': r.srs_relationship},
                        {'item': 'goals and topics', 'score': r.srs_goals},
                        {'item': 'approach or method', 'score': r.srs_approach},
                        {'item': 'overall', 'score': r.srs_overall}],
                       lambda x: x.score < $srs_item_cutoff) AS low_items
    FROM attention_ratings($as_of) r
    SEMI JOIN considered_pairs($as_of, $active_days, $therapist_ids, $supervisors, $sites, $services,
                         $visible, $pairs_stored) p USING (client_id, therapist_id)
    WHERE r.rev = 1 AND $as_of::DATE - r.rated_at::DATE <= $active_days
),
described AS (
    SELECT *, array_to_string(list_transform(low_items, lambda x: x.item || ' ' || printf('%.1f', x.score)),
                              ', ') AS items_text
    FROM latest
)
SELECT client_id, therapist_id, 'low_srs' AS flag_kind,
       CASE WHEN srs_total < $srs_cutoff
            THEN printf('Latest SRS %.1f on %s, below %g', srs_total, strftime(rated_at, '%Y-%m-%d'), $srs_cutoff)
                 || CASE WHEN len(low_items) > 0 THEN printf('; items below %g: %s', $srs_item_cutoff, items_text)
                         ELSE '' END || '.'
            ELSE printf('Latest SRS %.1f on %s is not below %g, but an item is below %g: %s.', srs_total,
                        strftime(rated_at, '%Y-%m-%d'), $srs_cutoff, $srs_item_cutoff, items_text)
       END AS reason,
       CASE WHEN srs_total < $srs_cutoff THEN 2 ELSE 1 END AS severity,
       rated_at::DATE AS flagged_on
FROM described
WHERE srs_total < $srs_cutoff OR len(low_items) > 0;
