-- The valid ratings of the file being imported (the importer's temp table `typed`) that name a session the
-- database does not hold, and lack the client, therapist or date to stand without it: they are kept, but the
-- ratings view cannot place them (no therapist, no time), so they count nowhere until that session is imported.
-- The import report says so.
-- Parameters: none. Returns: unplaced BIGINT, example VARCHAR (the smallest such session id).
SELECT count(*) AS unplaced, min(t.session_id) AS example
FROM typed t
ANTI JOIN sessions s USING (session_id)
WHERE len(t.problems) = 0 AND t.session_id IS NOT NULL
  AND (t.client_id IS NULL OR t.therapist_id IS NULL OR t.rated_on IS NULL);
