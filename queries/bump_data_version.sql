-- Increment the data version so cached query results are recomputed.
-- Parameters: none. Returns nothing.
UPDATE meta SET value = (value::BIGINT + 1)::VARCHAR WHERE key = 'data_version';
