"""Derived tables: copies of expensive joins, rebuilt when the data they come from changes.

`rating_facts` is the `ratings` view (every feedback row with who, whom and when resolved from its
session) stored as a table, sorted by `rated_at` so date filters skip whole row groups. The view joins
all feedback to all sessions on every read (about 0.3 s at 1M sessions, seconds at 10M); the table is
read in milliseconds. `scoped_ratings` (queries/_macros.sql) reads it. `ors_pairs` holds each
relationship's first and latest ORS over all time, built from it (queries/refresh_ors_pairs.sql).
`episode_facts` holds every episode of care with its attended sessions and early and latest SRS, which
the Dropout page filters (queries/refresh_episode_facts.sql). `session_combos` holds the distinct
(therapist, site, service) combinations the filter bar offers and `scoped_therapists` reads.

Rebuilt on import: `db.bump_data_version` (which every import and undo calls inside its transaction)
calls `refresh`, and so does `db.connect` for a database written by an older version. A table is rebuilt
only when a batch of a kind it reads was imported or undone (or that table's row count changed, or the SQL
that builds them changed) since its last build, so a review note that bumps the data version costs
nothing here, and an episodes import does not rebuild the rating tables. Nor does a sessions import that
only adds sessions no rating names (RATING_TABLES: attune.ingest works that out and passes them as unchanged).
A feedback import that only adds ratings later than every stored one (a weekly export) appends them to
rating_facts (and their ORS to ors_pairs) and updates the SRS figures of their episodes instead of rebuilding
the three (`ratings_batch`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection
from typing import NamedTuple

import duckdb

from attune import db
from attune.overview import DROPOUT_GAP_DAYS


class Derived(NamedTuple):
    table: str  # built by queries/refresh_<table>.sql
    sources: tuple[str, ...]  # the kinds of import it reads, including those of the derived tables it reads


DERIVED = (  # in this order: ors_pairs and episode_facts read rating_facts
    Derived("session_combos", ("sessions",)),
    Derived("rating_facts", ("sessions", "feedback")),
    Derived("ors_pairs", ("sessions", "feedback")),
    Derived("episode_facts", ("sessions", "feedback", "episodes")),
)
# The tables built from the ratings view alone: sessions reach them only through the sessions ratings name.
RATING_TABLES = ("rating_facts", "ors_pairs")
TABLES = tuple(d.table for d in DERIVED)
# What brings a table up to date with one feedback batch of new ratings, later than every stored one, instead
# of rebuilding it (a weekly export): the batch's ratings are appended to rating_facts, their ORS ratings added
# to their relationships' in ors_pairs, and only their relationships' episodes get new SRS figures.
TAKES_RATINGS_BATCH = {"rating_facts": ("stage_appended_ratings", "append_rating_facts"),
                       "ors_pairs": ("merge_ors_pairs",),
                       "episode_facts": ("update_episode_srs",)}
# The SQL that builds the tables (the episode macros included) is part of every table's fingerprint (the
# recipe): a new version of it rebuilds them.
RECIPE_QUERIES = (*(f"refresh_{table}" for table in TABLES), "_episode_macros",
                  *(name for steps in TAKES_RATINGS_BATCH.values() for name in steps))
PARAMS = {"dropout_gap_days": DROPOUT_GAP_DAYS}


def _meta_key(table: str) -> str:
    return f"derived_source:{table}"


def source_fingerprints(cur: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """What each derived table is built from (its source kinds' batches and row counts) and how (the SQL that
    builds them all, so that a new version of it rebuilds them)."""
    recipe = hashlib.sha256("".join(db.query_sql(name) for name in RECIPE_QUERIES).encode()).hexdigest()[:16]
    kinds = dict(db.run_query(cur, "derived_source").iter_rows())
    return {d.table: "/".join([*(kinds[k] for k in d.sources), recipe]) for d in DERIVED}


def _stale(cur: duckdb.DuckDBPyConnection, fingerprints: dict[str, str]) -> list[str]:
    stale = []
    for table in TABLES:
        stored = db.run_row(cur, "meta_value", {"key": _meta_key(table)})
        if (stored is None or stored[0] != fingerprints[table]
                or not db.run_row(cur, "table_exists", {"name": table})[0]):
            stale.append(table)
    return stale


def is_fresh(cur: duckdb.DuckDBPyConnection) -> bool:
    return not _stale(cur, source_fingerprints(cur))


def fresh_tables(cur: duckdb.DuckDBPyConnection) -> set[str]:
    """The derived tables that are up to date with their sources now."""
    return set(TABLES) - set(_stale(cur, source_fingerprints(cur)))


def refresh(cur: duckdb.DuckDBPyConnection, force: bool = False, unchanged: Collection[str] = (),
            ratings_batch: int | None = None) -> list[str]:
    """Bring the derived tables whose sources changed up to date; returns those changed.

    `unchanged`: tables the caller knows the change leaves as they were (they were fresh before it, and it does
    not reach them: attune.ingest passes RATING_TABLES for new sessions that no rating names). Only their new
    fingerprint is stored: at 10M sessions that spares a weekly sessions import the 20 s of rebuilding
    rating_facts.
    `ratings_batch`: a feedback batch that is the whole change to the sources of the tables in
    TAKES_RATINGS_BATCH (only new ratings, and those tables fresh before them; attune.ingest knows). When those
    ratings all come after the stored ones, they are appended to rating_facts (append_rating_facts.sql), added to
    ors_pairs, and only their relationships' episodes get new SRS figures, instead of rebuilding the three: a
    weekly feedback export's case.
    """
    fingerprints = source_fingerprints(cur)
    stale = list(TABLES) if force else _stale(cur, fingerprints)
    appending = (not force and ratings_batch is not None and "rating_facts" in stale
                 and db.run_row(cur, "rating_facts_appendable", {"batch_id": ratings_batch})[0])
    changed = []
    for table in TABLES:  # in order, so a table is rebuilt after those it reads
        if table in stale:
            if force or table not in unchanged:
                steps = TAKES_RATINGS_BATCH.get(table) if appending else None
                for name in steps or (f"refresh_{table}",):
                    db.execute(cur, name, PARAMS | {"batch_id": ratings_batch})
                changed.append(table)
            db.execute(cur, "set_meta_value", {"key": _meta_key(table), "value": fingerprints[table]})
    return changed
