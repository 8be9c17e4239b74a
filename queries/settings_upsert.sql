-- Store one setting's value.
-- Parameters: $key, $value, $updated_by. Returns nothing.
INSERT OR REPLACE INTO settings (key, value, updated_at, updated_by)
VALUES ($key, $value, current_localtimestamp(), $updated_by);
