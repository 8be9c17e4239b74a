"""Backups: a consistent, verified copy of the database in one file.

The copy is made through the open connection (`ATTACH` + `COPY FROM DATABASE` inside one read
transaction), so it is a snapshot even while imports run: never half an import. It is written to a
temporary file next to the target, checked against the source's checksums taken in the same snapshot,
and only then renamed over the target, so a failed or interrupted backup never replaces a good one.
Restoring is copying the file back while Attune is stopped (see the README).
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import duckdb

from attune import integrity

T = TypeVar("T")

# How long a backup waits on an import that touched its copy while still running (see _while_an_import_holds).
IMPORT_WAIT_SECONDS = 600.0


class BackupError(RuntimeError):
    """The copy could not be written or does not match the database."""


@dataclass(frozen=True)
class BackupResult:
    path: Path
    tables: int
    rows: int
    data_version: int


def backup(con: duckdb.DuckDBPyConnection, out: Path | str) -> BackupResult:
    """Write a verified snapshot of the database behind `con` to the file `out` (replacing it atomically)."""
    out = Path(out).resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(f".{out.name}.partial")
    _remove(partial)
    alias = f"attune_backup_{uuid.uuid4().hex[:12]}"
    cur = con.cursor()
    try:
        source = '"' + cur.sql("SELECT current_database()").fetchall()[0][0].replace('"', '""') + '"'
        cur.execute(f"ATTACH '{_literal(partial)}' AS {alias}")
        try:
            cur.execute("BEGIN TRANSACTION")
            try:
                expected = integrity.table_checksums(cur, own_transaction=False)
                version = cur.sql("SELECT value::BIGINT FROM meta WHERE key = 'data_version'").fetchall()[0][0]
                cur.execute(f"COPY FROM DATABASE {source} TO {alias}")
                cur.execute("COMMIT")
            except Exception:
                cur.execute("ROLLBACK")
                raise
            _checkpoint(cur, alias)
        finally:
            cur.execute(f"DETACH {alias}")
    except duckdb.Error as exc:
        _remove(partial)
        raise BackupError(f"The backup could not be written to {out}: {exc}") from exc
    finally:
        cur.close()
    _verify(partial, expected)
    _fsync(partial)
    os.replace(partial, out)
    _fsync(out.parent)
    return BackupResult(out, len(expected), sum(c for c, _ in expected.values()), int(version))


def _checkpoint(cur: duckdb.DuckDBPyConnection, alias: str) -> None:
    """Write the copy into its own file (not a write-ahead log beside it)."""
    _while_an_import_holds(lambda: cur.execute(f"CHECKPOINT {alias}"), duckdb.TransactionException)


def _while_an_import_holds(step: Callable[[], T], refused: type[duckdb.Error],
                           wait: float = IMPORT_WAIT_SECONDS) -> T:
    """Run `step`, again and again while DuckDB refuses it because an import holds the backup's copy.

    An import holds it without meaning to: a catalog listing inside its transaction (`duckdb_tables()`, which the
    derived tables' freshness check uses) joins every attached database. Until that import ends, DuckDB refuses to
    flush the copy (TransactionException) and, once detached, keeps its file open, so that opening it to verify
    fails (ResourceInUseException). The snapshot is already copied; only these steps wait for the import.
    """
    deadline = time.monotonic() + wait
    while True:
        try:
            return step()
        except refused:
            if time.monotonic() >= deadline:
                raise
            time.sleep(0.05)


def _verify(path: Path, expected: integrity.Checksums) -> None:
    copy = _while_an_import_holds(lambda: duckdb.connect(str(path), read_only=True), duckdb.ResourceInUseException)
    try:
        report = integrity.check(copy.cursor())
    finally:
        copy.close()
    if report.checksums != expected or not report.ok:
        _remove(path)
        differing = sorted(t for t in expected.keys() | report.checksums.keys()
                           if expected.get(t) != report.checksums.get(t))
        raise BackupError("The backup copy does not match the database "
                          f"(tables: {', '.join(differing) or 'none'}; {'; '.join(report.problems)}). "
                          "Nothing was replaced; try again.")


def _literal(path: Path) -> str:
    """A file path inside a single-quoted SQL string (ATTACH takes no bound parameters)."""
    return str(path).replace("'", "''")


def _remove(path: Path) -> None:
    for candidate in (path, path.with_name(path.name + ".wal")):
        candidate.unlink(missing_ok=True)


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
