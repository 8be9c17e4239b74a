-- Every user with a role in Attune.
-- Parameters: none. Returns: email, name, role, teams, therapist_id, added_at, added_by.
SELECT email, name, role, teams, therapist_id, added_at, added_by FROM users ORDER BY role, email;
