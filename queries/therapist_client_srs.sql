-- Each therapist's rated clients in scope: how many SRS ratings, their sum and how many were below the cutoff,
-- for means whose interval counts clients rather than sessions (and, summed per therapist, the Therapists
-- page's rated sessions, rated clients and sessions below the cutoff).
-- Parameters: $start_date, $end_date, $therapist_ids, $supervisors, $sites, $services, $visible, $srs_cutoff.
-- Returns: therapist_id, client_id, ratings BIGINT, srs_sum DOUBLE, below_cutoff BIGINT.
SELECT therapist_id, client_id, count(*) AS ratings, sum(srs_total) AS srs_sum,
       count(*) FILTER (WHERE srs_total < $srs_cutoff) AS below_cutoff
FROM scoped_ratings($start_date, $end_date, $therapist_ids, $supervisors, $sites, $services, $visible)
WHERE srs_total IS NOT NULL
GROUP BY therapist_id, client_id;
