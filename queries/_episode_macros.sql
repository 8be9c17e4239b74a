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
