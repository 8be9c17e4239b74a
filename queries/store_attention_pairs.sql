-- Store the relationships the attention list considers, without their review state (attune/attention_facts.py
-- registers them as the view attention_pairs_frame: the columns of attention_relationships.sql up to
-- data_batch).
-- Parameters: none. Returns nothing.
CREATE OR REPLACE TABLE attention_pair_facts AS SELECT * FROM attention_pairs_frame;
