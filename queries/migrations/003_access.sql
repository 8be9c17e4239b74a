-- Migration 003: who may see what (users and roles) and the audit trail.
CREATE TABLE users (
    email        VARCHAR PRIMARY KEY,   -- the identity the sign-in provider gives (email, or subject)
    name         VARCHAR,
    role         VARCHAR NOT NULL,      -- director | supervisor | analyst | therapist
    teams        VARCHAR[],             -- supervisor: the teams (therapists.supervisor values) they lead
    therapist_id VARCHAR,               -- therapist: their own id
    added_at     TIMESTAMP NOT NULL DEFAULT current_localtimestamp(),
    added_by     VARCHAR
);

CREATE SEQUENCE audit_seq START 1;
CREATE TABLE audit_log (
    event_id BIGINT PRIMARY KEY DEFAULT nextval('audit_seq'),
    "at"     TIMESTAMP NOT NULL DEFAULT current_localtimestamp(),
    actor    VARCHAR NOT NULL,
    role     VARCHAR,
    action   VARCHAR NOT NULL,          -- sign_in | import | undo | export | review | settings | users
    detail   VARCHAR
);
