-- Set one value in the meta table.
-- Parameters: $key, $value. Returns nothing.
INSERT OR REPLACE INTO meta VALUES ($key, $value);
