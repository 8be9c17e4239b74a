-- therapist_ors_clients for a period ending at or after the newest rating, read from the stored ors_pairs
-- (refresh_ors_pairs.sql): every rating of a pair then lies before the period's end, so its stored intake,
-- latest and count are the answer. attune.therapists.ors_outcomes chooses between the two.
-- Parameters: $start_date, $end_date, $therapist_ids, $supervisors, $sites, $services, $visible.
-- Returns: therapist_id, therapist_name, client_id, intake_ors DOUBLE, latest_ors DOUBLE, ors_ratings BIGINT.
WITH scoped AS (
    SELECT DISTINCT client_id, therapist_id
    FROM scoped_ratings($start_date, $end_date, $therapist_ids, $supervisors, $sites, $services, $visible)
    WHERE ors_total IS NOT NULL
)
SELECT p.therapist_id, coalesce(t.name, p.therapist_id) AS therapist_name, p.client_id, p.intake_ors,
       p.latest_ors, p.ors_ratings
FROM ors_pairs p SEMI JOIN scoped USING (client_id, therapist_id)
LEFT JOIN therapists t USING (therapist_id)
WHERE p.ors_ratings >= 2;
