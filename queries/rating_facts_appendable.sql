-- Whether the ratings of import batch $batch_id can join rating_facts at its end (append_rating_facts.sql) and
-- the table still be in (rated_at, feedback_key) order, its rowid order (refresh_rating_facts.sql): every new
-- rating is later than every stored one, and no rating, new or stored, lacks a time (those sort last).
-- A weekly feedback export usually is; a late entry for an older session means a rebuild instead. (attune.ingest
-- asks only for a batch smaller than the stored ratings: a rebuild is quicker for a first import.)
-- Parameters: $batch_id. Returns: appendable BOOLEAN.
WITH incoming AS (
    SELECT min(rated_at) AS first_at, count(*) FILTER (WHERE rated_at IS NULL) AS undated
    FROM ratings WHERE feedback_batch = $batch_id
), stored AS (
    SELECT max(rated_at) AS last_at, count(*) FILTER (WHERE rated_at IS NULL) AS undated FROM rating_facts
)
SELECT i.undated = 0 AND s.undated = 0 AND coalesce(i.first_at > s.last_at, false) AS appendable
FROM incoming i, stored s;
