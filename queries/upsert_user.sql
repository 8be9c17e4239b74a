-- Add a user or change their role and scope.
-- Parameters: $email, $name, $role, $teams, $therapist_id, $added_by. Returns nothing.
INSERT OR REPLACE INTO users (email, name, role, teams, therapist_id, added_at, added_by)
VALUES ($email, $name, $role, $teams, $therapist_id, current_localtimestamp(), $added_by);
