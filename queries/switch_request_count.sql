-- How many switch requests are loaded at all (the Fit & switches page words its empty state with it).
-- Parameters: none.
-- Returns: requests BIGINT.
SELECT count(*) AS requests FROM switch_requests;
