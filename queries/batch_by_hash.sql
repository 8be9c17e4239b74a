-- The newest import batch (not undone) of a file with this content.
-- Parameters: $file_hash. Returns: batch_id, imported_at.
SELECT batch_id, imported_at
FROM import_batches
WHERE file_hash = $file_hash AND undone_at IS NULL
ORDER BY batch_id DESC
LIMIT 1;
