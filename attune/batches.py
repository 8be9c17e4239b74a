"""Import history: list batches and undo one, restoring exactly the state before it."""

from __future__ import annotations

import duckdb
import polars as pl

from attune import attention, db
from attune.contract import SPECS


class UndoError(ValueError):
    """The batch cannot be undone (unknown, already undone, or later imports changed its rows)."""


def list_batches(cur: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    return db.run_query(cur, "import_batches")


def history_table(cur: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """The import history as the Data page shows it: one row per batch, newest first."""
    frame = list_batches(cur)
    labels = {kind: spec.label for kind, spec in SPECS.items()}
    return frame.select(
        pl.col("batch_id").alias("Batch"),
        pl.col("kind").replace_strict(labels, default=pl.col("kind")).alias("Kind"),
        pl.col("file_name").alias("File"),
        pl.col("imported_at").dt.strftime("%Y-%m-%d %H:%M").alias("Imported"),
        pl.col("imported_by").alias("By"),
        pl.col("rows_read").alias("Rows read"),
        pl.col("inserted").alias("New"),
        pl.col("updated").alias("Updated"),
        pl.col("unchanged").alias("Unchanged"),
        pl.col("rejected").alias("Rejected"),
        pl.when(pl.col("undone_at").is_null()).then(pl.lit("active"))
        .otherwise(pl.lit("undone ") + pl.col("undone_at").dt.strftime("%Y-%m-%d %H:%M") + pl.lit(" by ")
                   + pl.col("undone_by").fill_null("?")).alias("Status"),
        pl.col("file_hash").str.slice(0, 12).alias("File hash"),
        pl.col("notes").alias("Notes"),
    )


def undo_batch(con: duckdb.DuckDBPyConnection, batch_id: int, undone_by: str = "cli",
               update_attention: bool = True) -> dict[str, int]:
    """Remove the rows a batch inserted and put back the rows it replaced, in one transaction, which also
    stores the attention list for the data as it then is (unless `update_attention` is off)."""
    cur = con.cursor()
    try:
        cur.execute("BEGIN TRANSACTION")
        batch = db.run_query(cur, "import_batch", {"batch_id": batch_id})
        if batch.is_empty():
            raise UndoError(f"There is no import batch {batch_id}.")
        if batch["undone_at"][0] is not None:
            raise UndoError(f"Batch {batch_id} was already undone on {batch['undone_at'][0]:%Y-%m-%d %H:%M}.")
        table = SPECS[batch["kind"][0]].table
        later = cur.execute(
            f"SELECT min(replaced_by_batch) FROM {table}_history WHERE batch_id = $b", {"b": batch_id}
        ).fetchall()[0][0]
        if later is not None:
            raise UndoError(f"Batch {later} later changed rows that batch {batch_id} imported; "
                            f"undo batch {later} first.")
        removed = cur.execute(f"DELETE FROM {table} WHERE batch_id = $b", {"b": batch_id}).fetchall()[0][0]
        restored = cur.execute(
            f"INSERT INTO {table} SELECT * EXCLUDE (replaced_by_batch) FROM {table}_history "
            "WHERE replaced_by_batch = $b", {"b": batch_id}
        ).fetchall()[0][0]
        cur.execute(f"DELETE FROM {table}_history WHERE replaced_by_batch = $b", {"b": batch_id})
        db.execute(cur, "mark_batch_undone", {"batch_id": batch_id, "undone_by": undone_by})
        db.execute(cur, "record_audit", {"actor": undone_by, "role": None, "action": "undo",
                                         "detail": f"batch {batch_id}: removed {removed - restored:,} rows, "
                                                   f"restored {restored:,}"})
        db.bump_data_version(cur)
        if update_attention:
            attention.store_current(cur)
        cur.execute("COMMIT")
    except Exception:
        cur.execute("ROLLBACK")
        raise
    finally:
        cur.close()
    return {"batch_id": batch_id, "removed": removed - restored, "restored": restored}
