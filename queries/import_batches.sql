-- Every import batch, newest first.
-- Parameters: none. Returns: batch_id, kind, file_name, file_hash, imported_at, imported_by, rows_read,
--   inserted, updated, unchanged, rejected, notes, undone_at, undone_by.
SELECT batch_id, kind, file_name, file_hash, imported_at, imported_by, rows_read, inserted, updated,
       unchanged, rejected, notes, undone_at, undone_by
FROM import_batches
ORDER BY batch_id DESC;
