-- What the stored attention list (attune/attention_facts.py) is computed from: every import batch (any kind,
-- imported and undone) and the row counts of the tables the rules read. A change here means it must be
-- computed again. Reviews are not part of it: the stored list leaves them out and they are joined when read.
-- Parameters: none. Returns: fingerprint VARCHAR.
SELECT concat_ws('/',
    (SELECT count(*) FROM import_batches),
    (SELECT coalesce(max(batch_id), 0) FROM import_batches),
    (SELECT count(undone_at) FROM import_batches),
    (SELECT count(*) FROM sessions),
    (SELECT count(*) FROM feedback),
    (SELECT count(*) FROM episodes),
    (SELECT count(*) FROM switch_requests),
    (SELECT count(*) FROM therapists)) AS fingerprint;
