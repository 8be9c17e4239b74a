"""The Overview's numbers: headline figures for a period, compared with the period before."""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import polars as pl

from attune import db
from attune.filters import Filters
from attune.formatting import percent, score

DROPOUT_GAP_DAYS = 42
NO_CHANGE = "no change"  # a card's change when it rounds to nothing as written


@dataclass(frozen=True)
class Headline:
    label: str
    value: float | None
    display: str
    previous: float | None
    kind: str  # count | rate | score: how the change is written
    lower_is_better: bool = False
    help: str = ""
    neutral: bool = False  # a change that is neither good nor bad (switch requests): shown without colour

    @property
    def delta_color(self) -> str:
        return "off" if self.neutral or self.unchanged else ("inverse" if self.lower_is_better else "normal")

    @property
    def delta_arrow(self) -> str:
        """No arrow for a change that rounds to nothing (a green "↑ +0.0" reads as an improvement)."""
        return "off" if self.unchanged else "auto"

    @property
    def unchanged(self) -> bool:
        return self.delta == NO_CHANGE

    @property
    def delta(self) -> str | None:
        if self.value is None or self.previous is None:
            return None
        diff = self.value - self.previous
        if self.kind == "rate":
            written = f"{100 * diff:+.1f}"
        elif self.kind == "score":
            written = f"{diff:+.1f}"
        else:
            written = f"{diff:+,.0f}"
        if not float(written.replace(",", "")):
            return NO_CHANGE
        return f"{written} pts" if self.kind == "rate" else written


def headline_row(cur: duckdb.DuckDBPyConnection, params: dict) -> dict:
    return db.run_query(cur, "overview_headline", {"dropout_gap_days": DROPOUT_GAP_DAYS, **params}).row(
        0, named=True)


def _ratio(numerator: int | None, denominator: int | None) -> float | None:
    return None if not denominator else (numerator or 0) / denominator


def headlines(cur: duckdb.DuckDBPyConnection, filters: Filters) -> list[Headline]:
    """The six numbers a supervisor looks at first, each with the previous period of equal length."""
    now, before = headline_row(cur, filters.params()), headline_row(cur, filters.previous().params())

    def no_show(row: dict) -> tuple[float | None, int]:
        denominator = row["attended"] + row["no_show"] + row["late_cancel"]
        return _ratio(row["no_show"], denominator), denominator

    def below(row: dict) -> float | None:
        return _ratio(row["below_cutoff"], row["rated_sessions"])

    def dropout(row: dict) -> float | None:
        return _ratio(row["dropouts"], row["ended_episodes"])

    ns_now, ns_den = no_show(now)
    estimated = " (estimated from sessions)" if now["dropout_estimated"] else ""
    return [
        Headline("Active clients", now["active_clients"], f"{now['active_clients']:,}", before["active_clients"],
                 "count", help="Clients with at least one attended session in the period."),
        Headline("Sessions held", now["sessions_held"], f"{now['sessions_held']:,}", before["sessions_held"],
                 "count", help="Attended sessions in the period."),
        Headline("Mean SRS", now["mean_srs"], score(now["mean_srs"]), before["mean_srs"], "score",
                 help=f"Mean Session Rating Scale total (0–40) over {now['rated_sessions']:,} rated sessions, "
                      "each session counted once."),
        Headline("Sessions rated below 36", below(now), percent(below(now)), below(before), "rate",
                 lower_is_better=True,
                 help="Share of rated sessions with an SRS total below 36, the usual signal to talk about the "
                      f"relationship: {now['below_cutoff']:,} of {now['rated_sessions']:,}."),
        Headline("No-show rate", ns_now, percent(ns_now), no_show(before)[0], "rate", lower_is_better=True,
                 help="No-shows ÷ (attended + no-shows + late cancellations). Cancellations made in good "
                      f"time are not counted. {now['no_show']:,} of {ns_den:,}."),
        Headline("Dropout rate" + estimated, dropout(now), percent(dropout(now)), dropout(before), "rate",
                 lower_is_better=True,
                 help="Episodes ended by the client without a planned ending ÷ episodes that ended in the "
                      f"period: {now['dropouts']:,} of {now['ended_episodes']:,}."
                      + (" No episodes export is loaded: a client–therapist pair counts as ended "
                                   f"after {DROPOUT_GAP_DAYS} days without an attended session, and as a "
                                   "dropout when its last booking was missed or cancelled." if estimated else "")),
        Headline("Switch requests made", now["switch_requests_made"], f"{now['switch_requests_made']:,}",
                 before["switch_requests_made"], "count", neutral=True,
                 help="Requests to change therapist made in the period. Switching is often healthy "
                      "self-advocacy about fit."),
        Headline("Open switch requests", now["open_switch_requests"], f"{now['open_switch_requests']:,}",
                 None, "count", help="Requests to change therapist not yet resolved, as of the period's end."),
    ]


def weekly(cur: duckdb.DuckDBPyConnection, filters: Filters) -> pl.DataFrame:
    """Weekly mean SRS (with a 95% interval) and no-show rate."""
    frame = db.run_query(cur, "overview_weekly", filters.params())
    half_width = 1.96 * pl.col("srs_sd") / pl.col("rated").cast(pl.Float64).sqrt()
    return frame.with_columns(
        srs_low=pl.col("mean_srs") - half_width,
        srs_high=pl.col("mean_srs") + half_width,
        no_show_rate=pl.when(pl.col("no_show_denominator") > 0).then(
            pl.col("no_show") / pl.col("no_show_denominator")),
    )


def has_any_sessions(cur: duckdb.DuckDBPyConnection) -> bool:
    return bool(db.run_query(cur, "data_extent")["sessions"][0])
