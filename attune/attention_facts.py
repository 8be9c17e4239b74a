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

`attention.store_current` computes and stores it inside the caller's transaction: an import or undo in the
dashboard does so before it commits, so other sessions see the new data and its list at the same moment
(never new data with a list that no longer matches, which they would have to compute live all at once).
`attention.refresh_stored` does it in a transaction of its own, for the command line (once after all its
files), saved thresholds and opening the database. A crash before the commit loses neither: the import and
its list are one transaction, and a list that no longer matches is ignored by readers.
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
    source = db.run_row(cur, "attention_source")[0]
    thresholds = json.dumps(values, sort_keys=True, default=str)
    return f"{source}/{as_of.isoformat()}/{thresholds}/{_recipe()}"


def is_current(cur: duckdb.DuckDBPyConnection, as_of: date, values: dict[str, Any]) -> bool:
    """True when the stored list answers exactly this day and these thresholds on the data as it is now."""
    stored = db.run_row(cur, "meta_value", {"key": SOURCE_KEY})
    return stored is not None and stored[0] == fingerprint(cur, as_of, values)


def flags(cur: duckdb.DuckDBPyConnection, scope: dict[str, Any]) -> pl.DataFrame:
    """The stored flags of the relationships within `scope` (a Filters.params() or attention.NO_SCOPE)."""
    return db.run_query(cur, "attention_stored_flags", scope)


def relationships(cur: duckdb.DuckDBPyConnection, as_of: date, scope: dict[str, Any]) -> pl.DataFrame:
    """The stored relationships within `scope`, with their review state as it is now."""
    return db.run_query(cur, "attention_stored_relationships", {**scope, "as_of": as_of})


def store_ruptures(cur: duckdb.DuckDBPyConnection, params: dict[str, Any]) -> None:
    """Store every relationship's ruptures as judged on the day and with the thresholds in `params` (first:
    the rupture rule then reads them instead of finding them again)."""
    db.execute(cur, "store_rupture_facts", params)


def store_pairs(cur: duckdb.DuckDBPyConnection, params: dict[str, Any]) -> None:
    """Store the relationships considered on the day in `params` (unfiltered), which every rule and the
    relationships query then read instead of finding them again (queries/store_pair_facts.sql)."""
    db.execute(cur, "store_pair_facts", params)


def store(cur: duckdb.DuckDBPyConnection, raised: pl.DataFrame, pairs: pl.DataFrame, source: str) -> None:
    """Replace the stored list, labelled with `source` (its fingerprint, taken in the same transaction)."""
    cur.register("attention_flags_frame", raised)
    cur.register("attention_pairs_frame", pairs)
    try:
        db.execute(cur, "store_attention_flags")
        db.execute(cur, "store_attention_pairs")
        db.execute(cur, "set_meta_value", {"key": SOURCE_KEY, "value": source})
    finally:
        cur.unregister("attention_flags_frame")
        cur.unregister("attention_pairs_frame")
