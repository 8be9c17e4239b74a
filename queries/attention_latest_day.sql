-- The day the attention list describes by default: the newest session's date.
-- Parameters: none. Returns: as_of DATE (NULL when no sessions are loaded).
SELECT max(scheduled_at)::DATE AS as_of FROM sessions;
