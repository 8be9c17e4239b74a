-- Invariants a healthy Attune database keeps: one row per check that fails (no rows when healthy).
-- Keys are unique per canonical table (the importer enforces it), every row belongs to a live import
-- batch, every replaced row points at the batch that replaced it, and the data version is readable.
-- Parameters: none.
-- Returns: problem VARCHAR, problem_rows BIGINT.
WITH live AS (SELECT batch_id FROM import_batches WHERE undone_at IS NULL),
checks AS (
    SELECT 'therapists: the same therapist_id more than once' AS problem,
           (SELECT count(*) FROM (SELECT therapist_id FROM therapists GROUP BY ALL HAVING count(*) > 1))
               AS problem_rows
    UNION ALL
    SELECT 'sessions: the same session_id more than once',
           (SELECT count(*) FROM (SELECT session_id FROM sessions GROUP BY ALL HAVING count(*) > 1))
    UNION ALL
    SELECT 'feedback: the same rating more than once',
           (SELECT count(*) FROM (SELECT feedback_key FROM feedback GROUP BY ALL HAVING count(*) > 1))
    UNION ALL
    SELECT 'episodes: the same episode more than once',
           (SELECT count(*) FROM (SELECT client_id, therapist_id, start_date FROM episodes
                                  GROUP BY ALL HAVING count(*) > 1))
    UNION ALL
    SELECT 'switch_requests: the same request_id more than once',
           (SELECT count(*) FROM (SELECT request_id FROM switch_requests GROUP BY ALL HAVING count(*) > 1))
    UNION ALL
    SELECT 'rows whose import batch is missing or undone',
           (SELECT count(*) FROM (
               SELECT batch_id FROM therapists UNION ALL SELECT batch_id FROM sessions
               UNION ALL SELECT batch_id FROM feedback UNION ALL SELECT batch_id FROM episodes
               UNION ALL SELECT batch_id FROM switch_requests) r
            WHERE r.batch_id NOT IN (SELECT batch_id FROM live))
    UNION ALL
    SELECT 'replaced rows whose replacing batch is missing',
           (SELECT count(*) FROM (
               SELECT replaced_by_batch FROM therapists_history UNION ALL SELECT replaced_by_batch FROM sessions_history
               UNION ALL SELECT replaced_by_batch FROM feedback_history
               UNION ALL SELECT replaced_by_batch FROM episodes_history
               UNION ALL SELECT replaced_by_batch FROM switch_requests_history) h
            WHERE h.replaced_by_batch NOT IN (SELECT batch_id FROM import_batches))
    UNION ALL
    SELECT 'the data version is missing or not a number',
           (SELECT CASE WHEN count(TRY_CAST(value AS BIGINT)) = 1 THEN 0 ELSE 1 END
            FROM meta WHERE key = 'data_version')
)
SELECT problem, problem_rows FROM checks WHERE problem_rows > 0;
