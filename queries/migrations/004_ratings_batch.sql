-- Migration 004: the ratings view also names each rating's import batch (feedback_batch), so rebuilding
-- rating_facts need not join every rating back to its feedback row to find it (a tenth of that rebuild).
CREATE OR REPLACE VIEW ratings AS
SELECT
    f.feedback_key,
    f.session_id,
    coalesce(f.client_id, s.client_id)       AS client_id,
    coalesce(f.therapist_id, s.therapist_id) AS therapist_id,
    coalesce(s.scheduled_at, f.rated_on::TIMESTAMP) AS rated_at,
    s.site,
    s.service,
    f.srs_relationship, f.srs_goals, f.srs_approach, f.srs_overall,
    coalesce(f.srs_total, f.srs_relationship + f.srs_goals + f.srs_approach + f.srs_overall) AS srs_total,
    f.ors_individual, f.ors_interpersonal, f.ors_social, f.ors_overall,
    coalesce(f.ors_total, f.ors_individual + f.ors_interpersonal + f.ors_social + f.ors_overall) AS ors_total,
    f.comment,
    f.batch_id AS feedback_batch
FROM feedback f
LEFT JOIN sessions s USING (session_id);
