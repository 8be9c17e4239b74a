-- Store every relationship's ruptures as judged on $as_of with the given thresholds (read by judged_ruptures).
-- Parameters: $as_of, $rupture_drop, $srs_cutoff, $repair_sessions, $active_days. Returns nothing.
CREATE OR REPLACE TABLE rupture_facts AS
SELECT * FROM rupture_events($as_of, $rupture_drop, $srs_cutoff, $repair_sessions, $active_days, NULL);
