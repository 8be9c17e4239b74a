-- The data version: bumped by every import, undo and review note; part of every cache key.
-- Parameters: none. Returns: version BIGINT.
SELECT value::BIGINT AS version FROM meta WHERE key = 'data_version';
