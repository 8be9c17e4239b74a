-- Client-therapist pairs with an ORS rating in scope: the first ORS with that therapist (intake) and the
-- latest up to the period's end, for pairs rated at least twice. Ties in time are broken by the feedback key:
-- rating_facts' rowid is its (rated_at, feedback_key) order (refresh_rating_facts.sql), a cheaper key than the pair.
-- Parameters: $start_date, $end_date, $therapist_ids, $supervisors, $sites, $services, $visible.
-- Returns: therapist_id, therapist_name, client_id, intake_ors DOUBLE, latest_ors DOUBLE, ors_ratings BIGINT.
WITH scoped AS (
    SELECT DISTINCT client_id, therapist_id
    FROM scoped_ratings($start_date, $end_date, $therapist_ids, $supervisors, $sites, $services, $visible)
    WHERE ors_total IS NOT NULL
),
pairs AS (
    SELECT r.therapist_id, r.client_id,
           arg_min(r.ors_total, r.rowid) AS intake_ors,
           arg_max(r.ors_total, r.rowid) AS latest_ors,
           count(*) AS ors_ratings
    FROM rating_facts r JOIN scoped USING (client_id, therapist_id)
    WHERE r.ors_total IS NOT NULL AND r.rated_at < $end_date::TIMESTAMP + INTERVAL 1 DAY
    GROUP BY r.therapist_id, r.client_id
)
SELECT p.therapist_id, coalesce(t.name, p.therapist_id) AS therapist_name, p.client_id, p.intake_ors,
       p.latest_ors, p.ors_ratings
FROM pairs p LEFT JOIN therapists t USING (therapist_id)
WHERE p.ors_ratings >= 2;
