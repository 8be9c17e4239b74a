-- Rebuild session_combos: every distinct (therapist, site, service) among the sessions, a few thousand rows
-- at most. The filter bar's choices (filter_options.sql) and the therapists in scope (scoped_therapists in
-- _macros.sql) read it instead of finding the distinct values in every session on each page's first run
-- (0.25 s at 10M sessions, on every page).
-- Run by attune.derived.refresh. Parameters: none. Returns nothing.
-- Columns: therapist_id, site, service (site and service may be NULL).
CREATE OR REPLACE TABLE session_combos AS
SELECT DISTINCT therapist_id, site, service FROM sessions;
