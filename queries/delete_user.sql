-- Remove a user's access.
-- Parameters: $email. Returns nothing.
DELETE FROM users WHERE lower(email) = lower($email);
