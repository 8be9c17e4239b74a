"""The database: connection settings, versioned migrations and the named-query runner.

SQL lives in queries/ as one file per query; this module only loads and binds it.
"""

from __future__ import annotations

import os
import re
from collections.abc import Collection
from functools import cache
from pathlib import Path
from typing import Any

import duckdb
import polars as pl

PROJECT_ROOT = Path(__file__).resolve().parent.parent
QUERIES_DIR = PROJECT_ROOT / "queries"
MIGRATIONS_DIR = QUERIES_DIR / "migrations"
DEFAULT_DB = PROJECT_ROOT / "data" / "attune.duckdb"

_PARAM = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")
_COMMENT = re.compile(r"--[^\n]*")


class DatabaseBusyError(RuntimeError):
    """Another process holds the database file open for writing."""


def db_path() -> Path:
    """The database file: $ATTUNE_DB, or data/attune.duckdb in the project."""
    return Path(os.environ.get("ATTUNE_DB", DEFAULT_DB))


def connect(path: Path | str | None = None, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """Open (creating if needed) the database, apply pending migrations and session macros.

    Threads and memory are capped for a small 2-core server; ATTUNE_THREADS and ATTUNE_MEMORY override.
    """
    target = str(path if path is not None else db_path())
    if target != ":memory:":
        Path(target).parent.mkdir(parents=True, exist_ok=True)
    config = {
        "threads": os.environ.get("ATTUNE_THREADS", "2"),
        "memory_limit": os.environ.get("ATTUNE_MEMORY", "1GB"),
    }
    try:
        con = duckdb.connect(target, read_only=read_only, config=config)
    except duckdb.IOException as exc:
        if "lock" in str(exc).lower():
            raise DatabaseBusyError(
                f"The database {target} is open in another Attune process (the dashboard or an import); "
                "only one process can use it at a time. While the dashboard is running, import on its Data "
                "page; otherwise wait for the other import to finish, or stop the other process, and try again."
            ) from exc
        raise
    if not read_only:
        migrate(con)
        run_script(con, "_episode_macros")  # read by a derived table; the other macros read derived tables
        from attune import derived  # derived uses this module's query runner

        derived.refresh(con)
        from attune import keys  # after the refresh: rating_facts carries the keys too

        keys.ensure_current(con)
        run_script(con, "_macros")
        from attune import attention  # the rules' macros must be defined first

        attention.refresh_stored(con)
    return con


def run_script(con: duckdb.DuckDBPyConnection, name: str) -> None:
    """Execute a helper script (queries/_NAME.sql): connection-scoped macros, not a named query."""
    con.execute(_read_sql(QUERIES_DIR / f"{name}.sql"))


def migrations() -> list[tuple[int, Path]]:
    found = []
    for path in sorted(MIGRATIONS_DIR.glob("*.sql")):
        found.append((int(path.name.split("_", 1)[0]), path))
    return found


def schema_version(con: duckdb.DuckDBPyConnection) -> int:
    con.execute("CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at TIMESTAMP)")
    return con.execute("SELECT coalesce(max(version), 0) FROM schema_migrations").fetchall()[0][0]


def migrate(con: duckdb.DuckDBPyConnection) -> int:
    """Apply every migration the database has not recorded yet, in order, each in its own transaction.

    Compared by the set of applied versions, not the highest one: a migration numbered below one already
    applied (branches that landed out of order) is still applied.
    """
    schema_version(con)
    applied = {row[0] for row in con.execute("SELECT version FROM schema_migrations").fetchall()}
    for version, path in migrations():
        if version in applied:
            continue
        con.execute("BEGIN TRANSACTION")
        try:
            con.execute(_read_sql(path))
            con.execute(
                "INSERT INTO schema_migrations VALUES ($v, current_localtimestamp())", {"v": version}
            )
            con.execute("COMMIT")
        except Exception:
            con.execute("ROLLBACK")
            raise
    return schema_version(con)


@cache
def _read_sql(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def query_names() -> list[str]:
    return sorted(p.stem for p in QUERIES_DIR.glob("*.sql") if not p.name.startswith("_"))


def query_sql(name: str) -> str:
    path = QUERIES_DIR / f"{name}.sql"
    if not re.fullmatch(r"[a-z0-9_]+", name) or not path.exists():
        raise KeyError(f"No query named {name!r}. Known queries: {', '.join(query_names())}")
    return _read_sql(path)


def query_parameters(name: str) -> set[str]:
    """The $parameters a named query uses (comments ignored)."""
    return set(_PARAM.findall(_COMMENT.sub("", query_sql(name))))


def _bind(name: str, params: dict[str, Any] | None) -> tuple[str, dict[str, Any]]:
    sql = query_sql(name)
    wanted = query_parameters(name)
    given = params or {}
    missing = wanted - given.keys()
    if missing:
        raise KeyError(f"Query {name!r} needs parameters: {', '.join(sorted(missing))}")
    return sql, {k: given[k] for k in wanted}


def run_query(cur: duckdb.DuckDBPyConnection, name: str, params: dict[str, Any] | None = None) -> pl.DataFrame:
    """Run queries/NAME.sql with bound $parameters and return the result as a Polars frame.

    Extra parameters are ignored, so callers can pass one filter dict to every query; a missing one
    is an error naming it.
    """
    sql, bound = _bind(name, params)
    return cur.sql(sql, params=bound).pl()


def execute(cur: duckdb.DuckDBPyConnection, name: str, params: dict[str, Any] | None = None) -> None:
    """Run a named statement that returns nothing of interest (writes)."""
    sql, bound = _bind(name, params)
    cur.execute(sql, bound)


def run_row(cur: duckdb.DuckDBPyConnection, name: str, params: dict[str, Any] | None = None) -> tuple | None:
    """The first row of queries/NAME.sql as a tuple (None when there is none), without building a frame: for
    the small lookups a page makes several times per run, where making the frame costs more than the query."""
    sql, bound = _bind(name, params)
    rows = cur.execute(sql, bound).fetchall()  # all of them: DuckDB holds the cursor until its result is read
    return rows[0] if rows else None


def data_version(cur: duckdb.DuckDBPyConnection) -> int:
    """A counter every import, undo and review bumps; part of every cache key. Read on every cached load."""
    return int(run_row(cur, "data_version")[0])


_bumps_here = [0]


def bumps_in_this_process() -> int:
    """How often this process has bumped the data version (committed or not). Only one process can open the
    database to write, so when this has not moved, neither has the version: a page can skip reading it."""
    return _bumps_here[0]


def bump_data_version(cur: duckdb.DuckDBPyConnection, unchanged: Collection[str] = (),
                      ratings_batch: int | None = None) -> None:
    """Mark the data as changed (cache keys move on) and rebuild derived tables if their sources changed
    (but not those in `unchanged`, which the caller knows this change leaves as they were; and taking a weekly
    feedback batch on its own, appended rather than rebuilt, when `ratings_batch` is the whole change to them:
    derived.refresh).

    Every import and undo calls this inside its transaction, so derived tables change with the data.
    """
    _bumps_here[0] += 1
    execute(cur, "bump_data_version")
    from attune import derived

    derived.refresh(cur, unchanged=unchanged, ratings_batch=ratings_batch)
