-- Whether the derived rating_facts table exists (a database written before it was introduced has none).
-- Parameters: none. Returns: present BOOLEAN.
SELECT count(*) > 0 AS present FROM duckdb_tables() WHERE table_name = 'rating_facts' AND schema_name = 'main'
    AND database_name = current_database();
