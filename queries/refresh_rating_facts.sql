-- Rebuild rating_facts: the ratings view stored as a table, sorted by rated_at so date filters skip row
-- groups. Run by attune.derived.refresh whenever sessions or feedback change (see attune/derived.py).
-- Parameters: none. Returns nothing. Columns: those of the ratings view.
CREATE OR REPLACE TABLE rating_facts AS SELECT * FROM ratings ORDER BY rated_at, feedback_key;
