-- The relationships the weekly list considers on $as_of (see attention_pairs), with what the list shows beside
-- the flags, and whether a review currently hides them: the latest review saw all the data there is now
-- (no newer import batch touches the relationship) and its follow-up date, if any, has not come.
-- Parameters: $as_of, $active_days, $therapist_ids, $supervisors, $sites, $services, $visible, $pairs_stored.
-- Returns: client_id, therapist_id, therapist_name, supervisor, site, service, sessions_attended BIGINT,
--   last_booked DATE, last_attended DATE, days_since_attended INTEGER, latest_srs DOUBLE, srs_trend DOUBLE[]
--   (the last eight SRS totals, oldest first), data_batch INTEGER, reviewed_at TIMESTAMP, reviewed_by,
--   review_note, follow_up DATE, discussed BOOLEAN.
WITH pairs AS (SELECT * FROM considered_pairs($as_of, $active_days, $therapist_ids, $supervisors, $sites, $services,
                         $visible, $pairs_stored)),
trend AS (
    SELECT r.client_id, r.therapist_id, list(r.srs_total ORDER BY r.seq) AS srs_trend,
           arg_max(r.srs_total, r.seq) AS latest_srs
    FROM attention_ratings($as_of) r
    SEMI JOIN pairs p USING (client_id, therapist_id)
    WHERE r.rev <= 8
    GROUP BY r.client_id, r.therapist_id
)
SELECT p.client_id, p.therapist_id, p.therapist_name, p.supervisor, p.site, p.service, p.sessions_attended,
       p.last_booked::DATE AS last_booked, p.last_attended::DATE AS last_attended,
       $as_of::DATE - p.last_attended::DATE AS days_since_attended,
       t.latest_srs, t.srs_trend, b.data_batch,
       v.reviewed_at, v.reviewed_by, v.note AS review_note, v.follow_up,
       is_discussed(v.data_batch, b.data_batch, v.follow_up, $as_of) AS discussed
FROM pairs p
LEFT JOIN trend t USING (client_id, therapist_id)
LEFT JOIN attention_data_batches() b USING (client_id, therapist_id)
LEFT JOIN latest_reviews() v USING (client_id, therapist_id);
