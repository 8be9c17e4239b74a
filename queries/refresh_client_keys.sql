-- Recompute every stored client key with this DuckDB's hash() (see migration 005), then record the probe.
-- Run by attune.keys.ensure_current inside one transaction. Parameters: none. Returns nothing.
UPDATE sessions SET client_key = client_key(client_id);
UPDATE sessions_history SET client_key = client_key(client_id);
UPDATE rating_facts SET client_key = client_key(client_id);
INSERT OR REPLACE INTO meta VALUES ('client_key_probe', client_key('attune')::VARCHAR);
