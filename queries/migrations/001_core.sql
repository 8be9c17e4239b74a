-- Migration 001: canonical tables, import batches, per-row provenance and undo history.
-- Uniqueness of each table's key is enforced by the importer (one transaction per file), not by
-- index constraints: DuckDB's ART indexes slow bulk loads and updates at millions of rows.

CREATE SEQUENCE import_batch_seq START 1;

CREATE TABLE import_batches (
    batch_id     INTEGER PRIMARY KEY DEFAULT nextval('import_batch_seq'),
    kind         VARCHAR NOT NULL,
    file_name    VARCHAR NOT NULL,
    file_hash    VARCHAR NOT NULL,
    imported_at  TIMESTAMP NOT NULL DEFAULT current_localtimestamp(),
    imported_by  VARCHAR,
    rows_read    BIGINT NOT NULL,
    inserted     BIGINT NOT NULL,
    updated      BIGINT NOT NULL,
    unchanged    BIGINT NOT NULL,
    rejected     BIGINT NOT NULL,
    notes        VARCHAR,
    undone_at    TIMESTAMP,
    undone_by    VARCHAR
);

CREATE TABLE meta (key VARCHAR PRIMARY KEY, value VARCHAR NOT NULL);
INSERT INTO meta VALUES ('data_version', '0');

CREATE TABLE therapists (
    therapist_id VARCHAR NOT NULL,
    name         VARCHAR,
    supervisor   VARCHAR,
    site         VARCHAR,
    active       BOOLEAN,
    batch_id     INTEGER NOT NULL,
    source_line  BIGINT NOT NULL,
    row_hash     UBIGINT NOT NULL
);

CREATE TABLE sessions (
    session_id     VARCHAR NOT NULL,
    client_id      VARCHAR NOT NULL,
    therapist_id   VARCHAR NOT NULL,
    scheduled_at   TIMESTAMP NOT NULL,
    status         VARCHAR NOT NULL,
    session_number INTEGER,
    site           VARCHAR,
    service        VARCHAR,
    batch_id       INTEGER NOT NULL,
    source_line    BIGINT NOT NULL,
    row_hash       UBIGINT NOT NULL
);

CREATE TABLE feedback (
    feedback_key      VARCHAR NOT NULL,
    session_id        VARCHAR,
    client_id         VARCHAR,
    therapist_id      VARCHAR,
    rated_on          DATE,
    srs_relationship  DOUBLE,
    srs_goals         DOUBLE,
    srs_approach      DOUBLE,
    srs_overall       DOUBLE,
    srs_total         DOUBLE,
    ors_individual    DOUBLE,
    ors_interpersonal DOUBLE,
    ors_social        DOUBLE,
    ors_overall       DOUBLE,
    ors_total         DOUBLE,
    comment           VARCHAR,
    batch_id          INTEGER NOT NULL,
    source_line       BIGINT NOT NULL,
    row_hash          UBIGINT NOT NULL
);

CREATE TABLE episodes (
    client_id    VARCHAR NOT NULL,
    therapist_id VARCHAR NOT NULL,
    start_date   DATE NOT NULL,
    end_date     DATE,
    end_reason   VARCHAR,
    batch_id     INTEGER NOT NULL,
    source_line  BIGINT NOT NULL,
    row_hash     UBIGINT NOT NULL
);

CREATE TABLE switch_requests (
    request_id        VARCHAR NOT NULL,
    client_id         VARCHAR NOT NULL,
    from_therapist_id VARCHAR NOT NULL,
    to_therapist_id   VARCHAR,
    requested_at      DATE NOT NULL,
    reason            VARCHAR,
    status            VARCHAR,
    batch_id          INTEGER NOT NULL,
    source_line       BIGINT NOT NULL,
    row_hash          UBIGINT NOT NULL
);

-- Previous versions of rows that an import replaced, so that the import can be undone exactly.
CREATE TABLE therapists_history AS SELECT *, 0::INTEGER AS replaced_by_batch FROM therapists LIMIT 0;
CREATE TABLE sessions_history AS SELECT *, 0::INTEGER AS replaced_by_batch FROM sessions LIMIT 0;
CREATE TABLE feedback_history AS SELECT *, 0::INTEGER AS replaced_by_batch FROM feedback LIMIT 0;
CREATE TABLE episodes_history AS SELECT *, 0::INTEGER AS replaced_by_batch FROM episodes LIMIT 0;
CREATE TABLE switch_requests_history AS SELECT *, 0::INTEGER AS replaced_by_batch FROM switch_requests LIMIT 0;

-- One row per rating with who, whom and when resolved from the session when the feedback export
-- names only a session id; totals computed from the four items when only items were exported.
CREATE VIEW ratings AS
SELECT
    f.feedback_key,
    f.session_id,
    coalesce(f.client_id, s.client_id)       AS client_id,
    coalesce(f.therapist_id, s.therapist_id) AS therapist_id,
    coalesce(s.scheduled_at, f.rated_on::TIMESTAMP) AS rated_at,
    s.site,
    s.service,
    f.srs_relationship, f.srs_goals, f.srs_approach, f.srs_overall,
    coalesce(f.srs_total, f.srs_relationship + f.srs_goals + f.srs_approach + f.srs_overall) AS srs_total,
    f.ors_individual, f.ors_interpersonal, f.ors_social, f.ors_overall,
    coalesce(f.ors_total, f.ors_individual + f.ors_interpersonal + f.ors_social + f.ors_overall) AS ors_total,
    f.comment
FROM feedback f
LEFT JOIN sessions s USING (session_id);
