"""The stored attention list: every relationship's flags, computed once after the data or thresholds change.

Running the nine rules over every rating, booking and request takes seconds at a million sessions, and the
Needs attention page, the meeting report and the Settings preview all ask the same question: the list on
the newest day with the saved thresholds. So that answer is stored (attention_flag_facts and
attention_pair_facts, for every relationship, without any filter) and each page only filters it. The same
goes for every rupture and how it turned out (rupture_facts, read through the judged_ruptures macro), which
the Rupture and repair, Therapists and Overview pages count.

The stored answer carries a fingerprint of what it was computed from: every import batch and the row counts
of the tables the rules read, the thresholds, the day and the SQL of the rules. A reader uses it only when
the fingerprint still matches; otherwise `attune.attention` computes the list live, so a stale store can
make a page slower but never wrong. Reviews are not stored: marking a relationship discussed changes
nothing here, and `discussed` is worked out when the list is read.

`attention.refresh_stored` computes and stores it in one transaction of its own; imports, undo, saved
thresholds and opening the database call it after their own transaction committed (a crash in between only
leaves a store that no longer matches, which readers then ignore).
"""

from __future__ import annotations

import hashlib
import json
from datetime import date
from functools import cache
from typing import Any

import duckdb
import polars as pl

from attune import db

SOURCE_KEY = "attention_source"
RECIPE_QUERIES = ("attention_relationships", "attention_stored_flags", "attention_stored_relationships", "_macros")


@cache
def _recipe() -> str:
    """A hash of the SQL that computes and reads the stored list (read once per process, like the queries)."""
    rule_files = sorted(name for name in db.query_names() if name.startswith("attention_"))
    text = "".join(db.query_sql(name) for name in sorted({*rule_files, *RECIPE_QUERIES}))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def fingerprint(cur: duckdb.DuckDBPyConnection, as_of: date, values: dict[str, Any]) -> str:
    """What a list for `as_of` with these thresholds is computed from, as one comparable string."""
    source = db.run_query(cur, "attention_source")["fingerprint"][0]
    thresholds = json.dumps(values, sort_keys=True, default=str)
    return f"{source}/{as_of.isoformat()}/{thresholds}/{_recipe()}"


def is_current(cur: duckdb.DuckDBPyConnection, as_of: date, values: dict[str, Any]) -> bool:
    """True when the stored list answers exactly this day and these thresholds on the data as it is now."""
    stored = db.run_query(cur, "meta_value", {"key": SOURCE_KEY})
    return not stored.is_empty() and stored["value"][0] == fingerprint(cur, as_of, values)


def flags(cur: duckdb.DuckDBPyConnection, scope: dict[str, Any]) -> pl.DataFrame:
    """The stored flags of the relationships within `scope` (a Filters.params() or attention.NO_SCOPE)."""
    return db.run_query(cur, "attention_stored_flags", scope)


def relationships(cur: duckdb.DuckDBPyConnection, as_of: date, scope: dict[str, Any]) -> pl.DataFrame:
    """The stored relationships within `scope`, with their review state as it is now."""
    return db.run_query(cur, "attention_stored_relationships", {**scope, "as_of": as_of})


def store(cur: duckdb.DuckDBPyConnection, raised: pl.DataFrame, pairs: pl.DataFrame, params: dict[str, Any],
          source: str) -> None:
    """Replace the stored list and ruptures (for the day and thresholds in `params`), labelled with `source`
    (their fingerprint, taken in the same transaction)."""
    cur.register("attention_flags_frame", raised)
    cur.register("attention_pairs_frame", pairs)
    try:
        db.execute(cur, "store_attention_flags")
        db.execute(cur, "store_attention_pairs")
        db.execute(cur, "store_rupture_facts", params)
        db.execute(cur, "set_meta_value", {"key": SOURCE_KEY, "value": source})
    finally:
        cur.unregister("attention_flags_frame")
        cur.unregister("attention_pairs_frame")
