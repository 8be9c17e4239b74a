-- One import batch.
-- Parameters: $batch_id. Returns: batch_id, kind, file_name, imported_at, undone_at.
SELECT batch_id, kind, file_name, imported_at, undone_at FROM import_batches WHERE batch_id = $batch_id;
