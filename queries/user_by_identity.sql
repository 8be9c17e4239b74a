-- One user's role and scope.
-- Parameters: $identity. Returns: email, name, role, teams, therapist_id.
SELECT email, name, role, teams, therapist_id FROM users WHERE lower(email) = lower($identity);
