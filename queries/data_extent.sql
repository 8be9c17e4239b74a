-- What data is loaded: the span of sessions and the latest import (for the sidebar's freshness note).
-- Parameters: none.
-- Returns: first_session TIMESTAMP, last_session TIMESTAMP, sessions BIGINT, therapists BIGINT,
--          last_import TIMESTAMP, has_episodes BOOLEAN, has_feedback BOOLEAN.
SELECT s.first_session, s.last_session, s.sessions, c.therapists, b.last_import, e.has_episodes, f.has_feedback
FROM (SELECT min(scheduled_at) AS first_session, max(scheduled_at) AS last_session, count(*) AS sessions
      FROM sessions) s,
     (SELECT count(DISTINCT therapist_id) AS therapists FROM session_combos) c,
     (SELECT max(imported_at) AS last_import FROM import_batches WHERE undone_at IS NULL) b,
     (SELECT count(*) > 0 AS has_episodes FROM episodes) e,
     (SELECT count(*) > 0 AS has_feedback FROM feedback) f;
