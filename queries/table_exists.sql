-- Whether a table exists in the database (for features that use a table a later migration adds).
-- Parameters: $name. Returns: found BOOLEAN.
SELECT count(*) > 0 AS found FROM duckdb_tables() WHERE table_name = $name;
