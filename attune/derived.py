"""Derived tables: copies of expensive joins, rebuilt when the data they come from changes.

`rating_facts` is the `ratings` view (every feedback row with who, whom and when resolved from its
session) stored as a table, sorted by `rated_at` so date filters skip whole row groups. The view joins
all feedback to all sessions on every read (about 0.3 s at 1M sessions, seconds at 10M); the table is
read in milliseconds. `scoped_ratings` (queries/_macros.sql) reads it. `ors_pairs` holds each
relationship's first and latest ORS over all time, built from it (queries/refresh_ors_pairs.sql).

Rebuilt on import: `db.bump_data_version` (which every import and undo calls inside its transaction)
calls `refresh`, and so does `db.connect` for a database written by an older version. The rebuild is
skipped unless a sessions or feedback batch was imported or undone (or a table's row count changed, or
the SQL that builds them changed) since the last one, so a review note that bumps the data version costs
nothing here.
"""

from __future__ import annotations

import hashlib

import duckdb

from attune import db

SOURCE_KEY = "derived_source"
REFRESHES = ("refresh_rating_facts", "refresh_ors_pairs")  # in this order: ors_pairs reads rating_facts
TABLES = tuple(name.removeprefix("refresh_") for name in REFRESHES)  # each refresh_X query builds table X


def source_fingerprint(cur: duckdb.DuckDBPyConnection) -> str:
    """What the derived tables were built from (sessions/feedback batches and row counts) and how (the SQL
    that builds them, so that a new version of it rebuilds them)."""
    recipe = hashlib.sha256("".join(db.query_sql(name) for name in REFRESHES).encode()).hexdigest()[:16]
    return f"{db.run_query(cur, 'derived_source')['fingerprint'][0]}/{recipe}"


def is_fresh(cur: duckdb.DuckDBPyConnection) -> bool:
    stored = db.run_query(cur, "meta_value", {"key": SOURCE_KEY})
    return (not stored.is_empty() and stored["value"][0] == source_fingerprint(cur)
            and all(db.run_query(cur, "table_exists", {"name": name})["found"][0] for name in TABLES))


def refresh(cur: duckdb.DuckDBPyConnection, force: bool = False) -> bool:
    """Rebuild the derived tables when their sources changed; True when it rebuilt them."""
    if not force and is_fresh(cur):
        return False
    for name in REFRESHES:
        db.execute(cur, name)
    db.execute(cur, "set_meta_value", {"key": SOURCE_KEY, "value": source_fingerprint(cur)})
    return True
