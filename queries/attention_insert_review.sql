-- Record that a supervisor discussed a relationship.
-- Parameters: $client_id, $therapist_id, $reviewed_by, $note, $follow_up, $as_of, $data_batch, $flags.
-- Returns nothing.
INSERT INTO reviews (client_id, therapist_id, reviewed_by, note, follow_up, as_of, data_batch, flags)
VALUES ($client_id, $therapist_id, $reviewed_by, $note, $follow_up, $as_of, $data_batch, $flags);
