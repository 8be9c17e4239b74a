-- Mean SRS per therapist in the period, with what a client-clustered interval needs.
-- Each rated session counts once in the mean; the standard error treats clients as the independent units
-- (a client's sessions are alike), so a therapist with few clients gets a wide interval.
-- Parameters: $start_date, $end_date, $therapist_ids, $supervisors, $sites, $services, $visible, $srs_cutoff.
-- Returns: therapist_id, therapist_name, supervisor, rated BIGINT, clients BIGINT, mean_srs DOUBLE,
--          below_cutoff BIGINT, std_err DOUBLE (NULL with one client).
WITH r AS (
    SELECT therapist_id, therapist_name, supervisor, client_id, srs_total
    FROM scoped_ratings($start_date, $end_date, $therapist_ids, $supervisors, $sites, $services, $visible)
    WHERE srs_total IS NOT NULL
),
c AS (
    SELECT therapist_id, client_id, count(*) AS n, sum(srs_total) AS total,
           count(*) FILTER (WHERE srs_total < $srs_cutoff) AS below
    FROM r GROUP BY ALL
),
t AS (
    SELECT therapist_id, sum(n) AS rated, count(*) AS clients, sum(total) / sum(n) AS mean_srs,
           sum(below) AS below_cutoff
    FROM c GROUP BY ALL
),
names AS (
    SELECT therapist_id, any_value(therapist_name) AS therapist_name, any_value(supervisor) AS supervisor
    FROM r GROUP BY ALL
)
SELECT t.therapist_id, names.therapist_name, names.supervisor, t.rated::BIGINT AS rated, t.clients,
       t.mean_srs, t.below_cutoff::BIGINT AS below_cutoff,
       CASE WHEN t.clients > 1 THEN
           sqrt(sum((c.total - t.mean_srs * c.n) ^ 2) / (t.rated ^ 2) * t.clients / (t.clients - 1))
       END AS std_err
FROM t JOIN c USING (therapist_id) JOIN names USING (therapist_id)
GROUP BY t.therapist_id, names.therapist_name, names.supervisor, t.rated, t.clients, t.mean_srs, t.below_cutoff
ORDER BY t.mean_srs, t.therapist_id;
