-- The therapists in the given teams (the roster's supervisor column).
-- Parameters: $teams. Returns: therapist_id.
SELECT DISTINCT therapist_id FROM therapists WHERE list_contains($teams, supervisor) ORDER BY therapist_id;
