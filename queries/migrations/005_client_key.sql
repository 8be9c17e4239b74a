-- Migration 005: a number per client for looking one client up. The client drill-downs read one client's
-- sessions and ratings; a filter on the client_id text decompresses every id in the table (0.2-0.5 s at 10M
-- sessions, whose row groups each hold every client), while the same filter on a number reads only that column
-- (about 15 ms). A lookup filters on both: client_key = client_key($client_id) AND client_id = $client_id, so a
-- shared key never mixes two clients. DuckDB's hash() is not promised to stay the same across versions, so
-- meta 'client_key_probe' records a known key and attune/keys.py recomputes the keys when it has changed.
CREATE OR REPLACE MACRO client_key(id) AS (hash(id) >> 32)::UINTEGER;

ALTER TABLE sessions ADD COLUMN client_key UINTEGER;
UPDATE sessions SET client_key = client_key(client_id);

-- The history keeps the table's columns, then replaced_by_batch: rebuilt with the key in the same place.
CREATE TABLE sessions_history_005 AS
SELECT * EXCLUDE (replaced_by_batch), client_key(client_id) AS client_key, replaced_by_batch FROM sessions_history;
DROP TABLE sessions_history;
ALTER TABLE sessions_history_005 RENAME TO sessions_history;

INSERT OR REPLACE INTO meta VALUES ('client_key_probe', client_key('attune')::VARCHAR);
