"""The stored client keys (migration 005) stay true to this DuckDB's hash().

A client lookup filters on `is_client(client_key, client_id, $client_id)` (queries/_macros.sql): the key is a
number DuckDB compares without decompressing every client id. The keys are stored, so if a DuckDB upgrade
changed hash(), stored and computed keys would no longer meet and a client's drill-down would come back empty.
`db.connect` calls `ensure_current`, which recomputes them once when the recorded probe no longer matches.
"""

from __future__ import annotations

import duckdb

from attune import db


def ensure_current(con: duckdb.DuckDBPyConnection) -> bool:
    """Recompute the stored client keys when this DuckDB hashes differently; True when it did."""
    if db.run_row(con, "client_key_probe")[0]:
        return False
    con.execute("BEGIN TRANSACTION")
    try:
        db.execute(con, "refresh_client_keys")
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise
    return True
