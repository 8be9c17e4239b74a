-- What data is loaded: the span of sessions and the latest import (for the sidebar's freshness note).
-- Parameters: none.
-- Returns: first_session TIMESTAMP, last_session TIMESTAMP, sessions BIGINT, therapists BIGINT,
--          last_import TIMESTAMP, has_episodes BOOLEAN, has_feedback BOOLEAN.
SELECT
    (SELECT min(scheduled_at) FROM sessions) AS first_session,
    (SELECT max(scheduled_at) FROM sessions) AS last_session,
    (SELECT count(*) FROM sessions) AS sessions,
    (SELECT count(DISTINCT therapist_id) FROM session_combos) AS therapists,
    (SELECT max(imported_at) FROM import_batches WHERE undone_at IS NULL) AS last_import,
    (SELECT count(*) > 0 FROM episodes) AS has_episodes,
    (SELECT count(*) > 0 FROM feedback) AS has_feedback;
