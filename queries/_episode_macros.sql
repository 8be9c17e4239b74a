-- The episodes of care every dropout figure uses, (re)defined in the database by every read-write connection
-- before the derived tables are built (episode_facts reads them; _macros.sql, defined after, reads those
-- tables, so these cannot wait for it).

-- Episodes estimated from sessions when no episodes export exists (the "gap rule"): one episode per
-- client-therapist pair that attended at least once. It has ended when nothing was attended for gap_days
-- after its last attended session (counted back from the newest session in the data); it ended as a
-- dropout when its last booking was missed or cancelled rather than attended. end_date = last attended day.
CREATE OR REPLACE MACRO estimated_episodes(gap_days, wanted := true) AS TABLE
WITH pairs AS (
    SELECT client_id, therapist_id, min(scheduled_at) AS first_booked,
           max(scheduled_at) FILTER (WHERE status = 'attended') AS last_attended,
           -- whether the last booking was attended; of bookings at the same time an attended one wins, so the
           -- answer never depends on row order (time and outcome packed into one number: fast and exact)
           max(epoch_us(scheduled_at) * 2 + (status = 'attended')::BIGINT) % 2 = 1 AS last_booking_attended
    FROM sessions
    WHERE wanted  -- lets clinic_episodes skip the scan when an episodes export exists
    GROUP BY ALL
),
judged AS (
    SELECT *, last_attended + to_days(gap_days) <= (SELECT max(scheduled_at) FROM sessions) AS has_ended
    FROM pairs WHERE last_attended IS NOT NULL
)
SELECT client_id, therapist_id, first_booked::DATE AS start_date,
       CASE WHEN has_ended THEN last_attended::DATE END AS end_date,
       CASE WHEN NOT has_ended THEN NULL WHEN last_booking_attended THEN 'ended' ELSE 'dropout' END
           AS end_reason
FROM judged;

-- The episodes every dropout figure uses: the episodes export when one is loaded, otherwise the estimate.
-- estimated = true marks the estimate (the UI must say so).
CREATE OR REPLACE MACRO clinic_episodes(gap_days) AS TABLE
SELECT client_id, therapist_id, start_date, end_date, end_reason, false AS estimated FROM episodes
UNION ALL
SELECT client_id, therapist_id, start_date, end_date, end_reason, true AS estimated
FROM estimated_episodes(gap_days, wanted := NOT EXISTS (SELECT 1 FROM episodes));

-- The SRS figures of the episodes in the table or CTE named `episodes` (episode_key, client_id, therapist_id,
-- start_date, end_date): the mean SRS total of each one's first two rated sessions, how many of those there are
-- (1-2) and its latest SRS, by episode_key; episodes without an SRS rating are left out. srs_seq numbers a
-- relationship's SRS ratings by (rated_at, feedback_key) (rating_facts), and an episode's ratings are a run of
-- them, so its first two are the two lowest numbers. refresh_episode_facts.sql works them out for every episode,
-- update_episode_srs.sql for those a weekly feedback import rated. (query_table: a macro's tables are bound when
-- it is defined, before rating_facts exists and where the caller's CTE cannot be seen.)
CREATE OR REPLACE MACRO episode_srs(episodes) AS TABLE
WITH rated AS (
    SELECT ep.episode_key, r.srs_total, r.srs_seq
    FROM query_table(episodes) ep JOIN query_table('rating_facts') r
      ON r.client_id = ep.client_id AND r.therapist_id = ep.therapist_id
     AND r.rated_at::DATE >= ep.start_date AND (ep.end_date IS NULL OR r.rated_at::DATE <= ep.end_date)
    WHERE r.srs_total IS NOT NULL
),
first_rated AS (
    SELECT episode_key, min(srs_seq) AS first_seq FROM rated GROUP BY episode_key
)
SELECT episode_key, avg(srs_total) FILTER (WHERE srs_seq <= first_seq + 1) AS early_srs,
       count(*) FILTER (WHERE srs_seq <= first_seq + 1) AS early_ratings,
       arg_max(srs_total, srs_seq) AS last_srs
FROM rated JOIN first_rated USING (episode_key)
GROUP BY episode_key;
