-- Whether any rating names a session of this import batch: the ratings view (and so rating_facts and ors_pairs)
-- reads a session only through the ratings that name it, so new sessions no rating names leave them as they are.
-- Parameters: $batch_id. Returns: rated BOOLEAN.
SELECT EXISTS (
    SELECT 1 FROM feedback f
    WHERE f.session_id IN (SELECT session_id FROM sessions WHERE batch_id = $batch_id)
) AS rated;
