-- When the newest rating was (rating_facts is sorted by time, so this reads one row group).
-- Parameters: none. Returns: newest TIMESTAMP (NULL without ratings).
SELECT max(rated_at) AS newest FROM rating_facts;
