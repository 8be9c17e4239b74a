-- Migration 002: editable settings (the attention rules' thresholds) and the supervisors' review log.
-- Settings hold only values someone changed; defaults live in code (attune/settings.py) with their sources.

CREATE TABLE settings (
    key        VARCHAR PRIMARY KEY,
    value      VARCHAR NOT NULL,
    updated_at TIMESTAMP NOT NULL DEFAULT current_localtimestamp(),
    updated_by VARCHAR
);

CREATE SEQUENCE review_seq START 1;

-- One row each time a supervisor marks a client–therapist relationship "discussed".
-- data_batch: the newest import batch holding data about the relationship when it was discussed, so that
-- any later import touching the relationship (a new session, rating, request, episode change) brings it back.
-- flags: the reasons shown at the time, so the log says what was discussed.
CREATE TABLE reviews (
    review_id    INTEGER PRIMARY KEY DEFAULT nextval('review_seq'),
    client_id    VARCHAR NOT NULL,
    therapist_id VARCHAR NOT NULL,
    reviewed_at  TIMESTAMP NOT NULL DEFAULT current_localtimestamp(),
    reviewed_by  VARCHAR,
    note         VARCHAR,
    follow_up    DATE,
    as_of        DATE,
    data_batch   INTEGER NOT NULL,
    flags        VARCHAR
);
