-- Whether the stored client keys were made by this DuckDB's hash() (migration 005 records a known key).
-- Parameters: none. Returns: current BOOLEAN.
SELECT (SELECT value FROM meta WHERE key = 'client_key_probe') IS NOT DISTINCT FROM client_key('attune')::VARCHAR
    AS current;
