-- What the derived tables (rating_facts) are built from: the sessions and feedback import batches
-- (imported and undone) and both tables' row counts. A change here means they must be rebuilt.
-- Parameters: none. Returns: fingerprint VARCHAR.
SELECT concat_ws('/',
    (SELECT count(*) FROM import_batches WHERE kind IN ('sessions', 'feedback')),
    (SELECT coalesce(max(batch_id), 0) FROM import_batches WHERE kind IN ('sessions', 'feedback')),
    (SELECT count(undone_at) FROM import_batches WHERE kind IN ('sessions', 'feedback')),
    (SELECT count(*) FROM sessions),
    (SELECT count(*) FROM feedback)) AS fingerprint;
