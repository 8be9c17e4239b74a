-- Mark a batch as undone.
-- Parameters: $batch_id, $undone_by. Returns nothing.
UPDATE import_batches SET undone_at = current_localtimestamp(), undone_by = $undone_by
WHERE batch_id = $batch_id;
