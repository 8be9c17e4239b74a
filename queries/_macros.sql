-- Helpers used by the named queries, (re)defined in the database by every read-write connection
-- (cursors do not see TEMP macros, so these are stored).
-- in_filter(value, list): true when the list is empty/NULL (no filter) or contains the value.
CREATE OR REPLACE MACRO in_filter(v, l) AS (l IS NULL OR len(l) = 0 OR list_contains(l, v));

-- is_client(key, id, wanted): the row is client `wanted`. The stored key (migration 005) is compared first, a
-- number DuckDB tests without decompressing every client id; the id too, so two clients sharing a key never mix.
CREATE OR REPLACE MACRO is_client(key, id, wanted) AS (key = client_key(wanted) AND id = wanted);

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

-- outcome_counts(status): a group of bookings counted by outcome, as a struct; UNNEST(outcome_counts(status))
-- in a grouped SELECT gives the columns booked, attended, no_show, late_cancel, cancelled, clinician_cancel.
CREATE OR REPLACE MACRO outcome_counts(status) AS {
    'booked': count(*),
    'attended': count(*) FILTER (WHERE status = 'attended'),
    'no_show': count(*) FILTER (WHERE status = 'no_show'),
    'late_cancel': count(*) FILTER (WHERE status = 'late_cancel'),
    'cancelled': count(*) FILTER (WHERE status = 'cancelled'),
    'clinician_cancel': count(*) FILTER (WHERE status = 'clinician_cancel')
};

-- Reads rating_facts, the ratings view stored as a table and rebuilt on import (attune/derived.py).
CREATE OR REPLACE MACRO scoped_ratings(d0, d1, tids, sups, sites, services, visible) AS TABLE
SELECT r.* EXCLUDE (feedback_batch, srs_seq, srs_rev, srs_prev, client_key), t.supervisor,
       coalesce(t.name, r.therapist_id) AS therapist_name
FROM rating_facts r LEFT JOIN therapists t USING (therapist_id)
WHERE in_scope(r.therapist_id, t.supervisor, r.site, r.service, r.rated_at, d0, d1, tids, sups, sites,
               services, visible);

-- Therapists in scope for per-therapist (not per-session) figures such as episodes and switch requests:
-- the therapist, team and site selections apply through the roster (site = the therapist's own site).
-- Therapists with sessions, from session_combos (derived on import).
CREATE OR REPLACE MACRO scoped_therapists(tids, sups, sites, visible) AS TABLE
SELECT t.therapist_id, coalesce(th.name, t.therapist_id) AS therapist_name, th.supervisor
FROM (SELECT DISTINCT therapist_id FROM session_combos) t
LEFT JOIN therapists th USING (therapist_id)
WHERE in_filter(t.therapist_id, tids) AND in_filter(th.supervisor, sups) AND in_filter(th.site, sites)
  AND (visible IS NULL OR list_contains(visible, t.therapist_id));

-- estimated_episodes and clinic_episodes: see _episode_macros.sql.

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

-- considered_pairs: attention_pairs, read from pair_facts when `stored` is true (attune.attention.store_current
-- writes it first, unfiltered, and then runs every rule and the relationships query on it: the pairs are found
-- once instead of eleven times, 0.6-0.8 s each at 10M sessions), else computed now. Only store_current passes
-- true. pair_facts starts empty, with the columns of attention_pairs.
CREATE TABLE IF NOT EXISTS pair_facts AS
SELECT * FROM attention_pairs(DATE '2000-01-01', 42, NULL, NULL, NULL, NULL, NULL) LIMIT 0;
CREATE OR REPLACE MACRO considered_pairs(as_of, active_days, tids, sups, sites, services, visible, stored) AS TABLE
SELECT * FROM pair_facts
WHERE stored AND in_scope(therapist_id, supervisor, site, service, NULL, NULL, NULL, tids, sups, sites, services,
                          visible)
UNION ALL
SELECT * FROM attention_pairs(as_of, active_days, tids, sups, sites, services, visible) WHERE NOT stored;

-- attention_ratings: SRS ratings up to `as_of`, totals rounded to one decimal (as shown), numbered per
-- relationship oldest first (seq) and newest first (rev), ties by feedback_key. Reads rating_facts (the ratings
-- view stored on import), numbered over all ratings: cutting off later ratings at as_of leaves seq as it is
-- and lowers rev by the relationship's ratings after as_of (usually none), so nothing is sorted here.
CREATE OR REPLACE MACRO attention_ratings(as_of) AS TABLE
WITH later AS (
    SELECT client_id, therapist_id, count(*) AS n FROM rating_facts
    WHERE srs_total IS NOT NULL AND rated_at >= as_of::DATE + INTERVAL 1 DAY
    GROUP BY ALL
)
SELECT r.* EXCLUDE (feedback_batch, srs_seq, srs_rev, srs_prev, client_key)
           REPLACE (round(r.srs_total, 1) AS srs_total),
       r.srs_seq AS seq,
       r.srs_rev - coalesce(l.n, 0) AS rev
FROM rating_facts r
LEFT JOIN later l ON l.client_id IS NOT DISTINCT FROM r.client_id AND l.therapist_id IS NOT DISTINCT FROM r.therapist_id
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

-- latest_reviews: per relationship, its newest review (reviewed_at, reviewed_by, note, follow_up, data_batch: the
-- newest import batch about the relationship when it was reviewed). is_discussed: whether that review still hides
-- the relationship on day as_of: it saw all the data there is now (no newer batch than data_batch, the
-- relationship's newest from attention_data_batches) and its follow-up date, if any, has not come.
CREATE OR REPLACE MACRO latest_reviews() AS TABLE
SELECT client_id, therapist_id, arg_max(COLUMNS(* EXCLUDE (client_id, therapist_id)), reviewed_at)
FROM reviews GROUP BY client_id, therapist_id;
CREATE OR REPLACE MACRO is_discussed(review_batch, data_batch, follow_up, as_of) AS
    coalesce(review_batch >= data_batch AND (follow_up IS NULL OR follow_up > as_of::DATE), false);

-- Rupture and repair (queries/ruptures*.sql, attention_rupture.sql) --------------------------------------------
-- rupture_events: every rupture in every client–therapist relationship (of `only_client`, or of everyone when it is
-- NULL), judged on the ratings up to `as_of`.
-- A rupture is an SRS total at least `k` points below the relationship's previous rating, or below `cutoff`
-- right after a rating at or above it. It is repaired by the first of the next `r` ratings that is at or above
-- the cutoff, or that rises above the rupture rating to within 1 point of the rating before the rupture;
-- unrepaired when `r` ratings came without that, or when the client stopped attending (the episode ended, or no
-- attended session or rating for more than `active_days` days up to as_of); open otherwise (not yet `r` ratings
-- since, still attending). A drop during a rupture's repair window belongs to that rupture, not a new one: the
-- next rupture is looked for only after the previous one was repaired or its `r` ratings passed.
-- Totals are rounded to one decimal (as shown) and compared rounded, so 38.0 → 36.0 is a drop of exactly 2.
-- Columns: client_id, therapist_id, site, service (of the rupture rating), seq (the rupture rating's number in
--   the relationship), rupture_at TIMESTAMP, before_srs, rupture_srs, drop_points, below_cutoff BOOLEAN,
--   ratings_since (up to r), status (repaired | unrepaired | open), stopped BOOLEAN (unrepaired because the
--   client stopped attending), repair_at, repair_srs, sessions_to_repair (ratings after the rupture up to and
--   including the repair), latest_since_srs (the last rating in the window).
CREATE OR REPLACE MACRO rupture_events(as_of, k, cutoff, r, active_days, only_client) AS TABLE
WITH RECURSIVE rated AS (
    SELECT client_id, therapist_id, rated_at, round(srs_total, 1) AS srs, srs_seq AS seq, srs_prev AS before_srs
    FROM rating_facts  -- numbered on import (queries/refresh_rating_facts.sql): nothing to sort here
    WHERE srs_total IS NOT NULL AND rated_at < as_of::DATE + INTERVAL 1 DAY
      AND (only_client IS NULL OR is_client(client_key, client_id, only_client))
),
-- The same ratings read again for the candidates, with their site and service: `rated` is materialised and read
-- more than once, and without the two text columns it spills less past the memory limit (10M sessions: 9 → 6.7 s).
candidates AS (
    SELECT client_id, therapist_id, rated_at, site, service, round(srs_total, 1) AS srs, srs_seq AS seq,
           srs_prev AS before_srs
    FROM rating_facts
    WHERE srs_total IS NOT NULL AND rated_at < as_of::DATE + INTERVAL 1 DAY
      AND (only_client IS NULL OR is_client(client_key, client_id, only_client))
      AND srs_prev IS NOT NULL
      AND (round(srs_prev - round(srs_total, 1), 1) >= k OR (srs_prev >= cutoff AND round(srs_total, 1) < cutoff))
),
-- Each candidate's next r ratings, read once: the repair (the first that repairs) and the last of them come from
-- here, where looking them up in `rated` again cost two joins on all ratings (10M sessions: 5.7-6.1 → 4.3-4.5 s).
window_ratings AS (
    SELECT c.client_id, c.therapist_id, c.seq, a.seq AS a_seq, a.rated_at AS a_at, a.srs AS a_srs,
           a.srs >= cutoff OR (a.srs > c.srs AND a.srs >= round(c.before_srs - 1, 1)) AS repairs
    FROM candidates c
    LEFT JOIN rated a ON a.client_id = c.client_id AND a.therapist_id = c.therapist_id
        AND a.seq > c.seq AND a.seq <= c.seq + r
),
outcome AS (
    SELECT client_id, therapist_id, seq,
           min(a_seq) FILTER (WHERE repairs) AS repair_seq,
           arg_min(a_at, a_seq) FILTER (WHERE repairs) AS repair_at,
           arg_min(a_srs, a_seq) FILTER (WHERE repairs) AS repair_srs,
           arg_max(a_srs, a_seq) AS latest_since_srs,
           count(a_seq) AS ratings_since
    FROM window_ratings
    GROUP BY client_id, therapist_id, seq
),
linked AS (
    SELECT c.*, o.repair_seq, o.ratings_since, o.repair_at, o.repair_srs, o.latest_since_srs,
           CASE WHEN o.repair_seq IS NOT NULL THEN o.repair_seq WHEN o.ratings_since >= r THEN c.seq + r END
               AS resolved_seq
    FROM candidates c JOIN outcome o USING (client_id, therapist_id, seq)
),
pointed AS (
    SELECT l.*, n.seq AS next_seq
    FROM linked l
    ASOF LEFT JOIN (SELECT client_id AS n_client, therapist_id AS n_therapist, seq FROM linked) n
        ON l.client_id = n.n_client AND l.therapist_id = n.n_therapist AND l.resolved_seq < n.seq
),
chain AS (
    -- each relationship's first rupture, found by its number (the row_number() it replaced grouped whole rows:
    -- at 10M sessions storing the ruptures took 0.5-1.0 s longer)
    SELECT p.* FROM pointed p
    SEMI JOIN (SELECT client_id, therapist_id, min(seq) AS seq FROM pointed GROUP BY client_id, therapist_id) f
        USING (client_id, therapist_id, seq)
    UNION ALL
    SELECT p.* FROM pointed p
    JOIN chain c ON p.client_id = c.client_id AND p.therapist_id = c.therapist_id AND p.seq = c.next_seq
),
-- Only a rupture still waiting for its r ratings can be unrepaired because the client stopped attending, so the
-- last contact is looked up for those relationships alone (at 10M sessions a fifth of the 1.2M), not grouped for
-- every one: counting the ruptures 4.3-4.6 → 3.6-3.7 s, storing them (rupture_facts) 0.1-0.6 s less.
waiting AS (
    SELECT DISTINCT client_id, therapist_id FROM chain WHERE repair_seq IS NULL AND ratings_since < r
),
contact AS (
    SELECT client_id, therapist_id, max(seen_at) AS last_contact FROM (
        SELECT client_id, therapist_id, scheduled_at AS seen_at FROM sessions
        SEMI JOIN waiting USING (client_id, therapist_id)
        WHERE status = 'attended' AND scheduled_at < as_of::DATE + INTERVAL 1 DAY
          AND (only_client IS NULL OR is_client(client_key, client_id, only_client))
        UNION ALL
        SELECT client_id, therapist_id, rated_at FROM rated SEMI JOIN waiting USING (client_id, therapist_id)
    ) GROUP BY client_id, therapist_id
),
ended AS (
    SELECT client_id, therapist_id, max(end_date) AS end_date FROM episodes
    WHERE end_date <= as_of::DATE AND (only_client IS NULL OR client_id = only_client)
    GROUP BY client_id, therapist_id
),
judged AS (
    SELECT c.*,
           c.repair_seq IS NULL AND c.ratings_since < r
               AND (e.end_date >= c.rated_at::DATE OR as_of::DATE - ct.last_contact::DATE > active_days)
               AS stopped
    FROM chain c
    LEFT JOIN contact ct ON ct.client_id = c.client_id AND ct.therapist_id = c.therapist_id
    LEFT JOIN ended e ON e.client_id = c.client_id AND e.therapist_id = c.therapist_id
)
SELECT client_id, therapist_id, site, service, seq, rated_at AS rupture_at, before_srs, srs AS rupture_srs,
       round(before_srs - srs, 1) AS drop_points, srs < cutoff AS below_cutoff,
       least(ratings_since, coalesce(repair_seq - seq, ratings_since)) AS ratings_since,
       CASE WHEN repair_seq IS NOT NULL THEN 'repaired'
            WHEN ratings_since >= r OR coalesce(stopped, false) THEN 'unrepaired'
            ELSE 'open' END AS status,
       coalesce(stopped, false) AS stopped, repair_at, repair_srs, repair_seq - seq AS sessions_to_repair,
       latest_since_srs
FROM judged;

-- judged_ruptures: rupture_events for every relationship, read from rupture_facts (stored for the newest day and
-- the saved thresholds by attune.attention.refresh_stored) when `stored` is true, else computed now. The caller
-- passes stored = attention_facts.is_current(...) for the same day and thresholds; the branch not taken costs
-- nothing. rupture_facts starts empty, with the columns of rupture_events.
CREATE TABLE IF NOT EXISTS rupture_facts AS
SELECT * FROM rupture_events(DATE '2000-01-01', 2, 36, 3, 42, NULL) LIMIT 0;
CREATE OR REPLACE MACRO judged_ruptures(as_of, k, cutoff, r, active_days, stored) AS TABLE
SELECT * FROM rupture_facts WHERE stored
UNION ALL
SELECT * FROM rupture_events(as_of, k, cutoff, r, active_days, NULL) WHERE NOT stored;
