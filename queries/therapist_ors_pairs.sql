-- therapist_ors_clients for a period ending at or after the newest rating, read from the stored ors_pairs
-- (refresh_ors_pairs.sql): every rating of a pair then lies before the period's end, so its stored intake,
-- latest and count are the answer. attune.therapists.ors_outcomes chooses between the two.
-- A pair belongs to the period when it has an ORS in it: with the period ending after every rating, when its
-- latest ORS is on or after the start (no pass over the period's ratings: 0.34 → 0.1 s at 10M sessions). With a
-- site or service chosen, the ratings themselves are matched: one pair's ratings may lie at several places.
-- Parameters: $start_date, $end_date, $therapist_ids, $supervisors, $sites, $services, $visible.
-- Returns: therapist_id, therapist_name, client_id, intake_ors DOUBLE, latest_ors DOUBLE, ors_ratings BIGINT.
WITH by_place AS (
    SELECT DISTINCT client_id, therapist_id, true AS rated_there
    FROM scoped_ratings($start_date, $end_date, $therapist_ids, $supervisors, $sites, $services, $visible)
    WHERE ors_total IS NOT NULL AND len(coalesce($sites, [])) + len(coalesce($services, [])) > 0
)
SELECT p.therapist_id, coalesce(t.name, p.therapist_id) AS therapist_name, p.client_id, p.intake_ors,
       p.latest_ors, p.ors_ratings
FROM ors_pairs p
LEFT JOIN therapists t USING (therapist_id)
LEFT JOIN by_place b USING (client_id, therapist_id)
WHERE p.ors_ratings >= 2
  AND CASE WHEN len(coalesce($sites, [])) + len(coalesce($services, [])) > 0 THEN b.rated_there IS NOT NULL
           ELSE in_scope(p.therapist_id, t.supervisor, NULL, NULL, p.latest_ors_at, $start_date, NULL,
                         $therapist_ids, $supervisors, [], [], $visible) END;
