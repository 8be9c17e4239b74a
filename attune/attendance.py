"""Attendance: no-show, late-cancellation and clinician-cancellation rates, each with its denominator.

Definitions (stated on the page too):
- no-show rate = no-shows / (attended + no-shows + late cancellations); cancellations made in good time
  are not in the denominator, because the slot could be offered to someone else.
- late-cancellation rate = late cancellations / the same denominator.
- clinician-cancellation rate = sessions cancelled by the clinician or clinic / all bookings. These are not the
  client's misses and never enter the client rates, but repeated ones strain the relationship.
"""

from __future__ import annotations

import duckdb
import polars as pl

from attune import db
from attune._rates import SMALL_DENOMINATOR, with_rate
from attune.filters import Filters
from attune.formatting import day_text, natural_order, rate_text, therapist_label

DIMENSIONS = {
    "therapist": "Therapist",
    "weekday": "Weekday",
    "hour": "Hour of day",
    "session": "Session number",
    "site": "Site",
    "service": "Service",
}
GRAINS = {"week": "Weekly", "month": "Monthly"}
DEFINITIONS = (
    "**No-show rate** = no-shows ÷ (attended + no-shows + late cancellations). "
    "**Late-cancellation rate** = late cancellations ÷ the same denominator. Cancellations made in good time "
    "are left out of both: the slot could be offered to someone else. "
    "**Clinician cancellations** (sessions the therapist or clinic cancelled) are not the client's misses: they "
    "are counted apart, as a share of all bookings. "
    f"Rates over fewer than {SMALL_DENOMINATOR} appointments are marked *small*: read them with care. "
    "Intervals are 95% Wilson intervals."
)


def _rates(frame: pl.DataFrame) -> pl.DataFrame:
    """Add the three rates (with intervals and small-denominator marks) to a frame of outcome counts."""
    frame = frame.with_columns(kept=pl.col("attended") + pl.col("no_show") + pl.col("late_cancel"))
    frame = with_rate(frame, "no_show", "kept", "no_show")
    frame = with_rate(frame, "late_cancel", "kept", "late_cancel")
    return with_rate(frame, "clinician_cancel", "booked", "clinician_cancel")


def breakdown(cur: duckdb.DuckDBPyConnection, filters: Filters) -> pl.DataFrame:
    """Outcome counts and rates by every dimension at once (see queries/attendance_breakdown.sql)."""
    return _rates(db.run_query(cur, "attendance_breakdown", filters.params()))


def dimension(frame: pl.DataFrame, name: str) -> pl.DataFrame:
    """The rows of one breakdown (e.g. 'weekday'), in display order."""
    rows = frame.filter(pl.col("dimension") == name)
    return rows.sort(pl.col("level_order"), natural_order(rows["level"]))


def totals(frame: pl.DataFrame) -> dict | None:
    """The all-appointments row as a dict, or None when the period has no bookings."""
    rows = dimension(frame, "all")
    return None if rows.is_empty() or rows["booked"][0] == 0 else rows.row(0, named=True)


def trend(cur: duckdb.DuckDBPyConnection, filters: Filters, grain: str = "week") -> pl.DataFrame:
    if grain not in GRAINS:
        raise ValueError(f"Unknown grain {grain!r}: choose one of {', '.join(GRAINS)}.")
    return _rates(db.run_query(cur, "attendance_trend", filters.params(grain=grain)))


def client_counts(cur: duckdb.DuckDBPyConnection, filters: Filters, min_count: int = 2) -> pl.DataFrame:
    """Client–therapist pairs whose no-shows or clinician cancellations reach `min_count` in the period."""
    return _rates(db.run_query(cur, "attendance_by_client", filters.params(min_count=min_count)))


def repeated_no_shows(pairs: pl.DataFrame, min_count: int = 2) -> pl.DataFrame:
    """The table a supervisor reads: clients with at least `min_count` no-shows, most first."""
    picked = pairs.filter(pl.col("no_show") >= min_count).sort(
        ["no_shows_since_attended", "no_show", "client_id"], descending=[True, True, False])
    return picked.select(
        pl.col("client_id").alias("Client"),
        therapist_label().alias("Therapist"),
        pl.col("no_show").alias("No-shows"),
        rate_text("no_show", "kept").alias("No-show rate"),
        pl.col("no_shows_since_attended").alias("No-shows since last attended"),
        pl.col("late_cancel").alias("Late cancellations"),
        pl.col("attended").alias("Attended"),
        day_text("last_no_show").alias("Last no-show"),
        day_text("last_attended").alias("Last attended"),
    )


def repeated_clinician_cancels(pairs: pl.DataFrame, min_count: int = 2) -> pl.DataFrame:
    """Clients whose sessions the clinician cancelled at least `min_count` times in the period."""
    picked = pairs.filter(pl.col("clinician_cancel") >= min_count).sort(
        ["clinician_cancel", "client_id"], descending=[True, False])
    return picked.select(
        pl.col("client_id").alias("Client"),
        therapist_label().alias("Therapist"),
        pl.col("clinician_cancel").alias("Cancelled by clinician"),
        pl.col("booked").alias("Bookings"),
        pl.col("attended").alias("Attended"),
        day_text("last_clinician_cancel").alias("Last clinician cancellation"),
    )


def rate_table(frame: pl.DataFrame, level_title: str) -> pl.DataFrame:
    """Counts and rates of one breakdown for display: every rate written with its denominator."""
    return frame.select(
        pl.col("level").alias(level_title),
        rate_text("no_show", "kept").alias("No-show rate"),
        pl.format("{}–{}%", (100 * pl.col("no_show_low")).round(1), (100 * pl.col("no_show_high")).round(1))
        .alias("No-show 95% interval"),
        rate_text("late_cancel", "kept").alias("Late-cancellation rate"),
        rate_text("clinician_cancel", "booked").alias("Clinician cancellations (of bookings)"),
        pl.col("attended").alias("Attended"),
        pl.col("no_show").alias("No-shows"),
        pl.col("late_cancel").alias("Late cancellations"),
        pl.col("cancelled").alias("Cancelled in time"),
        pl.col("clinician_cancel").alias("Cancelled by clinician"),
        pl.when(pl.col("no_show_small")).then(pl.lit("small")).otherwise(pl.lit("")).alias("Denominator"),
    )
