-- Whether a table exists in the database (for features that use a table a later migration adds).
-- Only this database's own tables: a backup's copy attached beside it holds tables of the same names.
-- Parameters: $name. Returns: found BOOLEAN.
SELECT count(*) > 0 AS found
FROM duckdb_tables()
WHERE database_name = current_database() AND schema_name = 'main' AND table_name = $name;
