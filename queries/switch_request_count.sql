-- How many switch requests the viewer may see are loaded at all (the Fit & switches page words its empty
-- state with it).
-- Parameters: $visible (therapists the viewer may see; NULL = all).
-- Returns: requests BIGINT.
SELECT count(*) AS requests FROM switch_requests
WHERE $visible IS NULL OR list_contains($visible, from_therapist_id);
