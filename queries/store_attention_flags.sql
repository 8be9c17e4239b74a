-- Store the attention flags computed for every relationship (attune/attention_facts.py registers them as the
-- view attention_flags_frame, with the columns of attention.FLAG_SCHEMA).
-- Parameters: none. Returns nothing.
CREATE OR REPLACE TABLE attention_flag_facts AS SELECT * FROM attention_flags_frame;
