"""Dropout: who ends therapy without a planned ending, when, with whom, and how it relates to early alliance.

Definition: an episode of care is a dropout when the client ended it without a planned ending. With an
episodes export that is its end reason 'dropout'. Without one, episodes are estimated from sessions with the
gap rule shared with the Overview (`clinic_episodes` / `estimated_episodes` in queries/_episode_macros.sql): a
client–therapist pair has ended after DROPOUT_GAP_DAYS without an attended session, as a dropout when its last
booking was not attended. Dropout rate = dropouts / episodes that ended in the period.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import duckdb
import polars as pl

from attune import db, suppression
from attune._rates import with_rate
from attune.filters import Filters
from attune.formatting import day_text, one_decimal, rate_text, therapist_label
from attune.overview import DROPOUT_GAP_DAYS
from attune.survival import KM_SCHEMA, kaplan_meier

EARLY_SESSIONS = 2  # a dropout after this many attended sessions or fewer is an early dropout
EVENTS = {"dropout": "Dropouts only (other endings censored)", "any": "Any ending"}
CLINIC = "Whole selection"
# The life table's downloads: group and session number name the row; the three counts are people.
RETENTION_SPEC = suppression.Spec(counts=("At risk", "Left", "Censored"), labels=("Group", "Sessions attended"))


def definition(estimated: bool) -> str:
    """The sentence the page shows under its title."""
    base = ("**Dropout** = an episode the client ended without a planned ending. **Dropout rate** = dropouts ÷ "
            "episodes that ended in the period. **Early dropout** = a dropout after "
            f"{EARLY_SESSIONS} attended sessions or fewer. ")
    if estimated:
        return base + (f"No episodes export is loaded, so episodes are **estimated** from sessions: a client–"
                       f"therapist pair counts as ended after {DROPOUT_GAP_DAYS} days without an attended session "
                       "(ended on its last attended day), and as a dropout when its last booking was missed or "
                       "cancelled rather than attended. Import an episodes file for exact figures.")
    return base + "Episodes and their end reasons come from the episodes export."


def episodes(cur: duckdb.DuckDBPyConnection, filters: Filters) -> pl.DataFrame:
    """Episodes overlapping the period with their outcome flags (see queries/dropout_episodes.sql; the episodes
    and their facts are worked out at import, with the gap rule of DROPOUT_GAP_DAYS: attune/derived.py)."""
    frame = db.run_query(cur, "dropout_episodes", filters.params())
    return flag(frame, filters)


@dataclass(frozen=True)
class PageData:
    """What the Dropout page shows for one filter selection, worked out once per data version (cached as one
    result: the group-bys over every episode cost more than drawing the page)."""

    episodes: pl.DataFrame
    facts: dict
    therapists: pl.DataFrame  # by_therapist, therapists with an ending in the period
    split: pl.DataFrame  # by_early_srs
    dropped: pl.DataFrame  # dropouts_table
    names: dict[str, str]  # therapist id -> name


def page_data(cur: duckdb.DuckDBPyConnection, filters: Filters, cutoff: float) -> PageData:
    frame = episodes(cur, filters)
    return PageData(frame, summary(frame), by_therapist(frame).filter(pl.col("ended") > 0), by_early_srs(frame, cutoff),
                    dropouts_table(frame), dict(frame.select("therapist_id", "therapist_name").unique().iter_rows()))


def flag(frame: pl.DataFrame, filters: Filters) -> pl.DataFrame:
    """Add ended / dropout / early_dropout / ended_in_period / started_in_period to episode rows."""
    ended = pl.col("end_date").is_not_null()
    dropout = ended & (pl.col("end_reason") == "dropout")
    return frame.with_columns(
        ended=ended,
        dropout=dropout.fill_null(False),
        early_dropout=(dropout & (pl.col("attended_sessions") <= EARLY_SESSIONS)).fill_null(False),
        ended_in_period=ended & pl.col("end_date").is_between(filters.start, filters.end),
        started_in_period=pl.col("start_date").is_between(filters.start, filters.end),
    )


def _counts(frame: pl.DataFrame, by: Sequence[str] = ()) -> pl.DataFrame:
    ended = frame.filter(pl.col("ended_in_period"))
    aggs = [pl.len().alias("ended"), pl.col("dropout").sum().alias("dropouts"),
            pl.col("early_dropout").sum().alias("early_dropouts")]
    counted = ended.group_by(list(by)).agg(aggs) if by else ended.select(aggs)
    counted = counted.with_columns(pl.col("ended", "dropouts", "early_dropouts").cast(pl.Int64))
    return with_rate(with_rate(counted, "dropouts", "ended", "dropout"), "early_dropouts", "ended", "early")


def summary(frame: pl.DataFrame) -> dict:
    """Clinic-wide counts and rates for the period: ended, dropouts, early dropouts, still active."""
    row = _counts(frame).row(0, named=True)
    row["active"] = frame.filter(pl.col("end_date").is_null()).height
    row["estimated"] = bool(frame["estimated"].any()) if frame.height else False
    return row


def by_therapist(frame: pl.DataFrame) -> pl.DataFrame:
    """Dropout and early-dropout rates per therapist with 95% intervals, therapists with no endings kept."""
    names = frame.select("therapist_id", "therapist_name").unique()
    counted = _counts(frame, ["therapist_id"])
    active = frame.filter(pl.col("end_date").is_null()).group_by("therapist_id").agg(active=pl.len().cast(pl.Int64))
    return (names.join(counted, on="therapist_id", how="left").join(active, on="therapist_id", how="left")
            .with_columns(pl.col("ended", "dropouts", "early_dropouts", "active").fill_null(0),
                          level=therapist_label())
            .sort("therapist_name", "therapist_id"))


def therapist_table(frame: pl.DataFrame) -> pl.DataFrame:
    """`by_therapist` for display: rates written with their denominators, the interval in percent."""

    def written(num: str) -> pl.Expr:
        return rate_text(num, "ended")

    return frame.select(
        pl.col("level").alias("Therapist"),
        pl.col("ended").alias("Episodes ended"),
        written("dropouts").alias("Dropout rate"),
        pl.format("{}–{}%", (100 * pl.col("dropout_low")).round(1), (100 * pl.col("dropout_high")).round(1))
        .alias("95% interval"),
        written("early_dropouts").alias("Early dropout"),
        pl.col("active").alias("Still in therapy"),
    )


def by_early_srs(frame: pl.DataFrame, cutoff: float) -> pl.DataFrame:
    """Dropout rate among episodes ended in the period, split by the early SRS (mean of the first two ratings)."""
    group = (pl.when(pl.col("early_srs").is_null()).then(pl.lit("No early rating"))
             .when(pl.col("early_srs") < cutoff).then(pl.lit(f"Early SRS below {cutoff:g}"))
             .otherwise(pl.lit(f"Early SRS {cutoff:g} or above")))
    order = {f"Early SRS below {cutoff:g}": 0, f"Early SRS {cutoff:g} or above": 1, "No early rating": 2}
    counted = _counts(frame.with_columns(group=group), ["group"])
    return counted.with_columns(order=pl.col("group").replace_strict(order, return_dtype=pl.Int64)).sort("order")


def alliance_table(split: pl.DataFrame) -> pl.DataFrame:
    """`by_early_srs` for display."""
    return split.select(
        pl.col("group").alias("Early alliance"),
        pl.col("ended").alias("Episodes ended"),
        rate_text("dropouts", "ended").alias("Dropout rate"),
        pl.format("{}–{}%", (100 * pl.col("dropout_low")).round(1), (100 * pl.col("dropout_high")).round(1))
        .alias("95% interval"),
    )


def retention(frame: pl.DataFrame, therapist_ids: Sequence[str] = (), event: str = "dropout") -> pl.DataFrame:
    """Kaplan–Meier retention by attended sessions for episodes that started in the period.

    Episodes still running are censored at the sessions attended so far. With event='dropout' an episode that
    ended another way (planned, referred, switched) is censored at its last session; with event='any' every
    ending counts. Returns one long frame: group, time, at_risk, events, censored, survival, std_err, low, high.
    """
    if event not in EVENTS:
        raise ValueError(f"Unknown event {event!r}: choose one of {', '.join(EVENTS)}.")
    cohort = frame.filter(pl.col("started_in_period"))
    is_event = pl.col("dropout") if event == "dropout" else pl.col("ended")
    groups = [(CLINIC, cohort)]
    for tid in therapist_ids:
        rows = cohort.filter(pl.col("therapist_id") == tid)
        if rows.height:
            groups.append((f"{rows['therapist_name'][0]} ({tid})", rows))
    curves = []
    for label, rows in groups:
        if rows.is_empty():
            continue
        curve = kaplan_meier(rows["attended_sessions"], rows.select(is_event).to_series())
        curves.append(curve.with_columns(group=pl.lit(label)))
    if not curves:
        return pl.DataFrame(schema={"group": pl.Utf8, **KM_SCHEMA})
    return pl.concat(curves).select("group", *KM_SCHEMA)


RETENTION_PERCENTS = ("Still in therapy %", "95% low %", "95% high %")


def retention_table(curves: pl.DataFrame) -> pl.DataFrame:
    """The retention curves as a readable table (the life table behind the chart)."""
    return curves.select(
        pl.col("group").alias("Group"),
        pl.col("time").alias("Sessions attended"),
        pl.col("at_risk").alias("At risk"),
        pl.col("events").alias("Left"),
        pl.col("censored").alias("Censored"),
        *((100 * pl.col(c)).round(1).alias(name) for c, name in zip(("survival", "low", "high"),
                                                                     RETENTION_PERCENTS, strict=True)),
    )


def dropouts_table(frame: pl.DataFrame) -> pl.DataFrame:
    """The episodes that ended as dropouts in the period, most recent first."""
    return frame.filter(pl.col("ended_in_period") & pl.col("dropout")).sort("end_date", descending=True).select(
        pl.col("client_id").alias("Client"),
        therapist_label().alias("Therapist"),
        day_text("start_date").alias("Started"),
        day_text("end_date").alias("Ended"),
        pl.col("attended_sessions").alias("Sessions attended"),
        one_decimal(pl.col("early_srs")).alias("Early SRS"),
        one_decimal(pl.col("last_srs")).alias("Last SRS"),
    )
