"""Is the database whole? Checksums of every table and the invariants a healthy Attune database keeps.

DuckDB has no `PRAGMA integrity_check`; what it has is checksummed storage blocks, verified whenever a
block is read. So a check reads every row of every table (the checksums do) and then tests the
invariants the importer maintains. Used after a crash (`attune check`) and to verify backups.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import duckdb

from attune import db

Checksums = dict[str, tuple[int, int]]


@dataclass
class IntegrityReport:
    checksums: Checksums
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def rows(self) -> int:
        return sum(count for count, _ in self.checksums.values())


def table_checksums(cur: duckdb.DuckDBPyConnection, own_transaction: bool = True) -> Checksums:
    """{table: (row count, checksum)} for every table, read in one snapshot.

    With `own_transaction=False` the caller has already begun the transaction whose snapshot to read.
    """
    return _in_snapshot(cur, _checksums) if own_transaction else _checksums(cur)


def _checksums(cur: duckdb.DuckDBPyConnection) -> Checksums:
    result: Checksums = {}
    for name in db.run_query(cur, "base_tables")["table_name"].to_list():
        count, checksum = db.run_query(cur, "table_checksum", {"table_name": name}).row(0)
        result[name] = (int(count), int(checksum))
    return result


def problems(cur: duckdb.DuckDBPyConnection) -> list[str]:
    """Plain-language descriptions of every broken invariant (empty when the database is healthy)."""
    frame = db.run_query(cur, "integrity_problems")
    return [f"{problem} ({rows:,})" for problem, rows in frame.iter_rows()]


def check(cur: duckdb.DuckDBPyConnection) -> IntegrityReport:
    """Read every table and test the invariants, all in one snapshot; storage errors become problems."""
    try:
        return _in_snapshot(cur, lambda c: IntegrityReport(_checksums(c), problems(c)))
    except duckdb.Error as exc:  # a checksum mismatch or unreadable block surfaces here
        return IntegrityReport({}, [f"the database could not be read completely: {exc}"])


def _in_snapshot(cur: duckdb.DuckDBPyConnection, fn):
    cur.execute("BEGIN TRANSACTION")
    try:
        return fn(cur)
    finally:
        cur.execute("ROLLBACK")
