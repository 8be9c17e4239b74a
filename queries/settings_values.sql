-- Settings someone changed (the rest take their defaults from attune/settings.py).
-- Parameters: none. Returns: key, value VARCHAR, updated_at TIMESTAMP, updated_by.
SELECT key, value, updated_at, updated_by FROM settings ORDER BY key;
