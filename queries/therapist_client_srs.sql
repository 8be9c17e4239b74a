-- Each therapist's rated clients in scope: how many SRS ratings and their sum, for means whose interval
-- counts clients rather than sessions.
-- Parameters: $start_date, $end_date, $therapist_ids, $supervisors, $sites, $services, $visible.
-- Returns: therapist_id, client_id, ratings BIGINT, srs_sum DOUBLE.
SELECT therapist_id, client_id, count(*) AS ratings, sum(srs_total) AS srs_sum
FROM scoped_ratings($start_date, $end_date, $therapist_ids, $supervisors, $sites, $services, $visible)
WHERE srs_total IS NOT NULL
GROUP BY therapist_id, client_id;
