-- The day the attention list describes by default: the newest session's date.
-- Parameters: $visible (therapists the viewer may see; NULL = all). Returns: as_of DATE (NULL without sessions).
SELECT max(scheduled_at)::DATE AS as_of FROM sessions
WHERE $visible IS NULL OR list_contains($visible, therapist_id);
