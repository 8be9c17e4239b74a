-- Record an applied import file as a batch.
-- Parameters: $batch_id, $kind, $file_name, $file_hash, $imported_by, $rows_read, $inserted, $updated,
--             $unchanged, $rejected, $notes. Returns nothing.
INSERT INTO import_batches (batch_id, kind, file_name, file_hash, imported_at, imported_by, rows_read,
                            inserted, updated, unchanged, rejected, notes)
VALUES ($batch_id, $kind, $file_name, $file_hash, current_localtimestamp(), $imported_by, $rows_read,
        $inserted, $updated, $unchanged, $rejected, $notes);
