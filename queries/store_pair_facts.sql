-- Store the relationships the attention list considers on $as_of, unfiltered, before the rules run on them
-- (read by considered_pairs with $pairs_stored; attune.attention.store_current).
-- Parameters: $as_of, $active_days, $therapist_ids, $supervisors, $sites, $services, $visible. Returns nothing.
CREATE OR REPLACE TABLE pair_facts AS
SELECT * FROM attention_pairs($as_of, $active_days, $therapist_ids, $supervisors, $sites, $services, $visible);
