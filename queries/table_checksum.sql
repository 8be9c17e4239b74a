-- Row count and an order-independent checksum of every value in one table (the sum of row hashes).
-- Two tables with equal counts and checksums hold the same rows. The table name comes from base_tables.
-- Parameters: $table_name.
-- Returns: row_count BIGINT, checksum VARCHAR (a HUGEINT written out, so no client truncates it).
SELECT count(*) AS row_count, coalesce(sum(hash(t)::HUGEINT), 0)::VARCHAR AS checksum
FROM query_table($table_name) t;
