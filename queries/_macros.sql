-- Helpers used by the named queries, (re)defined in the database by every read-write connection
-- (cursors do not see TEMP macros, so these are stored).
-- in_filter(value, list): true when the list is empty/NULL (no filter) or contains the value.
CREATE OR REPLACE MACRO in_filter(v, l) AS (l IS NULL OR len(l) = 0 OR list_contains(l, v));

-- The shared filter bar as table macros, so every page filters the same way.
-- d0/d1: inclusive date range (NULL = open); tids/sups/sites/services: selections (empty = all);
-- visible: therapists the viewer may see (NULL = all, empty = none).
CREATE OR REPLACE MACRO in_scope(therapist_id, supervisor, site, service, ts, d0, d1, tids, sups, sites,
                                      services, visible) AS (
    (d0 IS NULL OR ts >= d0::TIMESTAMP)
    AND (d1 IS NULL OR ts < d1::TIMESTAMP + INTERVAL 1 DAY)
    AND in_filter(therapist_id, tids)
    AND in_filter(supervisor, sups)
    AND in_filter(site, sites)
    AND in_filter(service, services)
    AND (visible IS NULL OR list_contains(visible, therapist_id))
);

CREATE OR REPLACE MACRO scoped_sessions(d0, d1, tids, sups, sites, services, visible) AS TABLE
SELECT s.*, t.supervisor, coalesce(t.name, s.therapist_id) AS therapist_name
FROM sessions s LEFT JOIN therapists t USING (therapist_id)
WHERE in_scope(s.therapist_id, t.supervisor, s.site, s.service, s.scheduled_at, d0, d1, tids, sups, sites,
               services, visible);

-- Reads rating_facts, the ratings view stored as a table and rebuilt on import (attune/derived.py).
CREATE OR REPLACE MACRO scoped_ratings(d0, d1, tids, sups, sites, services, visible) AS TABLE
SELECT r.* EXCLUDE (feedback_batch, srs_seq), t.supervisor, coalesce(t.name, r.therapist_id) AS therapist_name
FROM rating_facts r LEFT JOIN therapists t USING (therapist_id)
WHERE in_scope(r.therapist_id, t.supervisor, r.site, r.service, r.rated_at, d0, d1, tids, sups, sites,
               services, visible);

-- Attention rules (queries/attention_*.sql) ---------------------------------------------------------------
-- attention_pairs: the client–therapist relationships the weekly list looks at on day `as_of`: a booking
-- (any status) in the `active_days` days up to as_of and no episode ended by then, or an open request to
-- change therapist; within the filter selection (the pair's latest site and service). Data after as_of is
-- ignored, so the list can be recomputed for any past day.
-- Only pairs that can qualify (a booking in the active window, or an open request) have their whole history
-- aggregated: a fifth of all pairs, half the work.
CREATE OR REPLACE MACRO attention_pairs(as_of, active_days, tids, sups, sites, services, visible) AS TABLE
WITH candidates AS (
    SELECT client_id, therapist_id FROM sessions
    WHERE scheduled_at >= (as_of::DATE - floor(active_days)::INTEGER)::TIMESTAMP
      AND scheduled_at < as_of::DATE + INTERVAL 1 DAY
    UNION
    SELECT client_id, from_therapist_id FROM switch_requests WHERE status = 'open' AND requested_at <= as_of::DATE
),
booked AS (
    SELECT client_id, therapist_id,
           count(*) FILTER (WHERE status = 'attended') AS sessions_attended,
           max(scheduled_at) AS last_booked,
           max(scheduled_at) FILTER (WHERE status = 'attended') AS last_attended,
           arg_max(site, scheduled_at) AS site,
           arg_max(service, scheduled_at) AS service
    FROM sessions SEMI JOIN candidates USING (client_id, therapist_id)
    WHERE scheduled_at < as_of::DATE + INTERVAL 1 DAY
    GROUP BY client_id, therapist_id
),
latest_episode AS (
    SELECT client_id, therapist_id, arg_max_null(end_date, start_date) AS end_date
    FROM episodes WHERE start_date <= as_of::DATE
    GROUP BY client_id, therapist_id
),
open_request AS (
    SELECT DISTINCT client_id, from_therapist_id AS therapist_id FROM switch_requests
    WHERE status = 'open' AND requested_at <= as_of::DATE
)
SELECT b.client_id, b.therapist_id, coalesce(t.name, b.therapist_id) AS therapist_name, t.supervisor,
       b.site, b.service, b.sessions_attended, b.last_booked, b.last_attended
FROM booked b
LEFT JOIN latest_episode e ON e.client_id = b.client_id AND e.therapist_id = b.therapist_id
LEFT JOIN open_request o ON o.client_id = b.client_id AND o.therapist_id = b.therapist_id
LEFT JOIN therapists t ON t.therapist_id = b.therapist_id
WHERE ((as_of::DATE - b.last_booked::DATE <= active_days AND (e.end_date IS NULL OR e.end_date > as_of::DATE))
       OR o.client_id IS NOT NULL)
  AND in_scope(b.therapist_id, t.supervisor, b.site, b.service, NULL, NULL, NULL, tids, sups, sites, services,
               visible);

-- attention_ratings: SRS ratings up to `as_of`, totals rounded to one decimal (as shown), numbered per
-- relationship oldest first (seq) and newest first (rev), ties by feedback_key. Reads rating_facts (the ratings
-- view stored on import), whose srs_seq is that order over all ratings: cutting off later ratings at as_of
-- does not change it, and rev follows from the count, so no sort of every rating is needed.
CREATE OR REPLACE MACRO attention_ratings(as_of) AS TABLE
SELECT r.* EXCLUDE (feedback_batch, srs_seq) REPLACE (round(r.srs_total, 1) AS srs_total),
       r.srs_seq AS seq,
       count(*) OVER (PARTITION BY r.client_id, r.therapist_id) - r.srs_seq + 1 AS rev
FROM rating_facts r
WHERE r.srs_total IS NOT NULL AND r.rated_at < as_of::DATE + INTERVAL 1 DAY;

-- attention_data_batches: per relationship, the newest import batch holding any of its data (sessions,
-- feedback, requests to change therapist, episodes). A review remembers it; a newer one means new data.
CREATE OR REPLACE MACRO attention_data_batches() AS TABLE
SELECT client_id, therapist_id, max(batch_id) AS data_batch FROM (
    SELECT client_id, therapist_id, batch_id FROM sessions
    UNION ALL
    SELECT client_id, therapist_id, feedback_batch FROM rating_facts  -- feedback, its session resolved
    UNION ALL
    SELECT client_id, from_therapist_id, batch_id FROM switch_requests
    UNION ALL
    SELECT client_id, therapist_id, batch_id FROM episodes
) GROUP BY client_id, therapist_id;
