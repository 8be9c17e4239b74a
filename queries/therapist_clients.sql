-- A therapist's current clients as of a date: an attended session in the last $active_days days and no
-- ended episode with this therapist since; their attendance and latest scores. Ratings are ordered by
-- rating_facts' rowid, which is their (rated_at, feedback_key) order (refresh_rating_facts.sql).
-- Parameters: $therapist_id, $as_of (DATE), $active_days, $visible.
-- Returns: client_id, first_session TIMESTAMP, last_session TIMESTAMP, last_status, sessions_attended,
--   no_shows, latest_srs, previous_srs, latest_srs_at TIMESTAMP, intake_ors, latest_ors, open_switch_request BOOLEAN.
WITH recent AS (  -- the clients attended in the window, from its few row groups: only they are listed
    SELECT DISTINCT client_key, client_id FROM sessions
    WHERE therapist_id = $therapist_id AND status = 'attended'
      AND scheduled_at >= $as_of::TIMESTAMP - to_days($active_days)
      AND scheduled_at < $as_of::TIMESTAMP + INTERVAL 1 DAY
      AND ($visible IS NULL OR list_contains($visible, therapist_id))
),
-- Their whole history with the therapist. The sessions are stored in time order, so the therapist's rows lie
-- in every row group; matching the clients' keys (numbers) first spares reading the rest of those rows.
booked AS (
    SELECT * FROM sessions
    WHERE therapist_id = $therapist_id AND scheduled_at < $as_of::TIMESTAMP + INTERVAL 1 DAY
      AND client_key IN (SELECT client_key FROM recent) AND client_id IN (SELECT client_id FROM recent)
),
clients AS (
    SELECT client_id, min(scheduled_at) AS first_session, max(scheduled_at) AS last_session,
           arg_max(status, (scheduled_at, session_id)) AS last_status,
           count(*) FILTER (WHERE status = 'attended') AS sessions_attended,
           count(*) FILTER (WHERE status = 'no_show') AS no_shows,
           max(scheduled_at) FILTER (WHERE status = 'attended') AS last_attended
    FROM booked GROUP BY client_id
),
ended AS (
    SELECT DISTINCT e.client_id FROM episodes e JOIN clients c USING (client_id)
    WHERE e.therapist_id = $therapist_id AND e.end_date IS NOT NULL AND e.end_date <= $as_of
      AND e.end_date >= c.last_attended::DATE
),
rated AS (  -- one pass over the therapist's ratings for both scales
    SELECT client_id,
           list(srs_total ORDER BY rowid DESC) FILTER (WHERE srs_total IS NOT NULL) AS totals,
           max(rated_at) FILTER (WHERE srs_total IS NOT NULL) AS latest_srs_at,
           arg_min(ors_total, rowid) FILTER (WHERE ors_total IS NOT NULL) AS intake_ors,
           arg_max(ors_total, rowid) FILTER (WHERE ors_total IS NOT NULL) AS latest_ors
    FROM rating_facts
    WHERE therapist_id = $therapist_id AND rated_at < $as_of::TIMESTAMP + INTERVAL 1 DAY
      AND client_key IN (SELECT client_key FROM recent) AND client_id IN (SELECT client_id FROM recent)
    GROUP BY client_id
),
open_requests AS (
    SELECT DISTINCT client_id FROM switch_requests
    WHERE from_therapist_id = $therapist_id AND status = 'open' AND requested_at <= $as_of
)
SELECT c.client_id, c.first_session, c.last_session, c.last_status, c.sessions_attended, c.no_shows,
       rated.totals[1] AS latest_srs, rated.totals[2] AS previous_srs, rated.latest_srs_at,
       rated.intake_ors, rated.latest_ors,
       c.client_id IN (SELECT client_id FROM open_requests) AS open_switch_request
FROM clients c
LEFT JOIN rated USING (client_id)
WHERE c.client_id NOT IN (SELECT client_id FROM ended)
ORDER BY c.client_id;
