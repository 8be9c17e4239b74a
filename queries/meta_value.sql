-- One setting from the meta table.
-- Parameters: $key. Returns: value VARCHAR (no row when the key is not set).
SELECT value FROM meta WHERE key = $key;
