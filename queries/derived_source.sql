-- What the derived tables are built from, per kind of import: its batches (imported and undone) and its
-- table's row count. A change in a kind a derived table reads means that table must be rebuilt.
-- Parameters: none. Returns: kind VARCHAR, fingerprint VARCHAR.
WITH tables(kind, row_count) AS (
    VALUES ('sessions', (SELECT count(*) FROM sessions)),
           ('feedback', (SELECT count(*) FROM feedback)),
           ('episodes', (SELECT count(*) FROM episodes))
)
SELECT t.kind, concat_ws('/', count(b.batch_id), coalesce(max(b.batch_id), 0), count(b.undone_at), t.row_count)
           AS fingerprint
FROM tables t LEFT JOIN import_batches b ON b.kind = t.kind
GROUP BY t.kind, t.row_count;
