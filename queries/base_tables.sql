-- The database's own tables (not views, not attached databases), for checksums and integrity checks.
-- Parameters: none.
-- Returns: table_name VARCHAR.
SELECT table_name
FROM duckdb_tables()
WHERE database_name = current_database() AND schema_name = 'main' AND NOT temporary
ORDER BY table_name;
