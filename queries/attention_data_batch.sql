-- The newest import batch holding data about one relationship (recorded with a review).
-- Parameters: $client_id, $therapist_id.
-- Returns: data_batch INTEGER (NULL when there is no data about the relationship).
SELECT max(data_batch) AS data_batch FROM attention_data_batches()
WHERE client_id = $client_id AND therapist_id = $therapist_id;
