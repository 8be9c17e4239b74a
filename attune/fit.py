"""Fit & switches: requests to change therapist, the reasons clients gave, where they went and how it went.

Switching is often healthy self-advocacy about fit; nothing here scores a therapist. Reasons are free text,
grouped by keywords into a few categories so that patterns show; the client's own words stay visible.
"""

from __future__ import annotations

import re
from datetime import date

import duckdb
import polars as pl

from attune import db
from attune.filters import Filters
from attune.formatting import MISSING, day_text, each, one_decimal, therapist_label
from attune.overview import DROPOUT_GAP_DAYS

# Checked in this order; the first category with a keyword in the reason wins. Identity and practical reasons
# come first because they are the most specific ("more comfortable with someone who shares my culture" is about
# identity, though "comfortable" alone suggests fit). Each keyword must start a word ("fee" must not match
# "feel"); a trailing \b marks whole words.
CATEGORY_KEYWORDS: list[tuple[str, list[str]]] = [
    ("Identity / culture", [
        r"cultur", r"background", r"ethnic", r"rac(e|ism|ial)\b", r"religi", r"faith", r"muslim", r"christian",
        r"jewish", r"language", r"speaks?\b", r"female", r"male\b", r"wom[ae]n\b", r"m[ae]n\b", r"gender",
        r"lgbt", r"queer", r"gay\b", r"lesbian", r"trans\b", r"non-?binary", r"older\b", r"younger\b",
        r"age\b", r"identity", r"shares? my", r"disab"]),
    ("Practical / scheduling", [
        r"schedul", r"times?\b", r"timing", r"appointment", r"availab", r"work\b", r"working hours", r"shifts?\b",
        r"evening", r"morning", r"weekend", r"childcare", r"travel", r"distance", r"closer\b", r"moving\b",
        r"moved\b", r"site\b", r"location", r"parking", r"transport", r"online", r"remote", r"in person",
        r"costs?\b", r"fees?\b", r"money", r"insurance", r"waiting list"]),
    ("Approach", [
        r"approach", r"cbt\b", r"dbt\b", r"emdr", r"structur", r"method", r"techniques?", r"style", r"directive",
        r"homework", r"skills?\b", r"not going anywhere", r"progress", r"stuck\b", r"modality", r"evidence",
        r"more practical"]),
    ("Personality / fit", [
        r"click", r"personalit", r"clash", r"connect", r"rapport", r"fit\b", r"understands?\b", r"listen",
        r"heard\b", r"trust", r"comfortable", r"chemistry", r"relationship", r"get on\b", r"someone different",
        r"someone else", r"judg", r"respect", r"dismiss", r"warm", r"cold\b"]),
]
CATEGORIES = [name for name, _ in CATEGORY_KEYWORDS]
OTHER = "Other / not given"
CATEGORY_ORDER = [*CATEGORIES, OTHER]
_COMPILED = [(name, re.compile(r"\b(?:" + "|".join(words) + ")", re.IGNORECASE))
             for name, words in CATEGORY_KEYWORDS]
OUTCOMES = ["Still with the new therapist", "Ended as planned or referred on", "Dropped out after switching",
            "Not seen by the new therapist yet"]
FRAMING = ("Switching therapist is often healthy self-advocacy about fit. These figures describe where requests "
           "come from and where clients go, in the clients' own words; they do not score anyone.")


def categorise(reason: str | None) -> str:
    """The reason category for one free-text reason (OTHER when empty or nothing matches)."""
    if not reason or not reason.strip():
        return OTHER
    for name, pattern in _COMPILED:
        if pattern.search(reason):
            return name
    return OTHER


def requests(cur: duckdb.DuckDBPyConnection, filters: Filters) -> pl.DataFrame:
    """Requests in scope with their category and outcome (see queries/switch_requests.sql)."""
    frame = db.run_query(cur, "switch_requests", filters.params(dropout_gap_days=DROPOUT_GAP_DAYS))
    return with_outcomes(frame)


def with_outcomes(frame: pl.DataFrame) -> pl.DataFrame:
    """Add category, srs_change (new minus old) and outcome (for completed switches) to request rows."""
    completed = pl.col("status") == "completed"
    outcome = (pl.when(~completed | pl.col("to_therapist_id").is_null()).then(None)
               .when(pl.col("attended_after") == 0).then(pl.lit(OUTCOMES[3]))
               .when(pl.col("new_end_date").is_null()).then(pl.lit(OUTCOMES[0]))
               .when(pl.col("new_end_reason") == "dropout").then(pl.lit(OUTCOMES[2]))
               .otherwise(pl.lit(OUTCOMES[1])))
    return frame.with_columns(
        category=each(frame["reason"], categorise, skip_nulls=False),
        srs_change=pl.col("srs_after") - pl.col("srs_before"),
        outcome=outcome,
    )


def made(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.filter(pl.col("made_in_period"))


def open_requests(frame: pl.DataFrame, as_of: date) -> pl.DataFrame:
    """Requests still open, oldest first, with how long they have waited."""
    rows = frame.filter(pl.col("status") == "open").sort("requested_at", "request_id")
    return rows.select(
        pl.col("request_id").alias("Request"),
        pl.col("client_id").alias("Client"),
        therapist_label("from_name", "from_therapist_id").alias("From"),
        day_text("requested_at").alias("Requested"),
        (pl.lit(as_of) - pl.col("requested_at")).dt.total_days().alias("Days open"),
        pl.col("category").alias("Category"),
        pl.col("reason").alias("Reason (client's words)"),
        one_decimal(pl.col("srs_before")).alias("Recent SRS with current therapist"),
    )


def by_category(frame: pl.DataFrame) -> pl.DataFrame:
    counted = made(frame).group_by("category").agg(requests=pl.len().cast(pl.Int64))
    total = counted["requests"].sum()
    order = {name: i for i, name in enumerate(CATEGORY_ORDER)}
    return counted.with_columns(
        share=pl.col("requests") / total if total else pl.lit(None, pl.Float64),
        order=pl.col("category").replace_strict(order, return_dtype=pl.Int64),
    ).sort("order").drop("order")


def over_time(frame: pl.DataFrame) -> pl.DataFrame:
    """Requests made per month and category (months without requests are absent)."""
    return (made(frame).with_columns(month=pl.col("requested_at").dt.truncate("1mo"))
            .group_by("month", "category").agg(requests=pl.len().cast(pl.Int64)).sort("month", "category"))


FLOW_LIMIT = 20
NOT_ASSIGNED = "No therapist named"
OTHER_THERAPISTS = "Other therapists"


def flows(frame: pl.DataFrame, limit: int = FLOW_LIMIT) -> pl.DataFrame:
    """from → to counts of requests made in the period (NOT_ASSIGNED when the request names no new therapist).

    Only the `limit` therapists with the most requests on each side are named; the rest are counted together
    as "Other therapists (n)", so a network of 2,000 therapists still gives a readable grid (and not millions of
    cells). Totals are unchanged.
    """
    rows = made(frame).with_columns(
        source=therapist_label("from_name", "from_therapist_id"),
        target=therapist_label("to_name", "to_therapist_id", missing=NOT_ASSIGNED),
    )
    counted = rows.group_by("source", "target").agg(requests=pl.len().cast(pl.Int64))
    return counted.with_columns(source=_top_or_other(counted, "source", limit),
                                target=_top_or_other(counted, "target", limit)).group_by("source", "target").agg(
        pl.col("requests").sum()).sort("source", "target")


def flows_note(view: str) -> str:
    """The caption under the from → to chart, in the words of the view shown ("Matrix" or "Sankey")."""
    sides = ("Rows", "columns") if view == "Matrix" else ("Left", "right")
    return (f"{sides[0]}: the therapist the client asked to leave; {sides[1]}: the therapist named in the request, "
            "the one the client moved to or, for a request declined or still open, the one asked for "
            f"({NOT_ASSIGNED} when none is named). Counts of requests made in the period, whatever their status. "
            f"The {FLOW_LIMIT} therapists with the most requests on each side are named; any others are counted "
            "together.")


def _top_or_other(counted: pl.DataFrame, side: str, limit: int) -> pl.Expr:
    totals = counted.filter(pl.col(side) != NOT_ASSIGNED).group_by(side).agg(n=pl.col("requests").sum())
    if totals.height <= limit:
        return pl.col(side)
    top = totals.sort(["n", side], descending=[True, False]).head(limit)[side]
    others = f"{OTHER_THERAPISTS} ({totals.height - limit:,})"
    return pl.when(pl.col(side).is_in(top.implode()) | (pl.col(side) == NOT_ASSIGNED)).then(pl.col(side)).otherwise(
        pl.lit(others))


def outcome_summary(frame: pl.DataFrame) -> dict:
    """What happened after completed switches made in the period.

    compared: switches with SRS ratings on both sides; higher: of those, how many rated the new therapist
    higher; mean_change: mean of (new - old); stayed: completed switches whose client attended the new
    therapist and has not dropped out; started: those who attended the new therapist at all.
    """
    done = made(frame).filter(pl.col("outcome").is_not_null())
    both = done.filter(pl.col("srs_change").is_not_null())
    started = done.filter(pl.col("attended_after") > 0)
    return {
        "completed": done.height,
        "compared": both.height,
        "higher": both.filter(pl.col("srs_change") > 0).height,
        "mean_change": both["srs_change"].mean() if both.height else None,
        "started": started.height,
        "stayed": started.filter(pl.col("outcome") != OUTCOMES[2]).height,
    }


def outcome_counts(frame: pl.DataFrame) -> pl.DataFrame:
    """Completed switches made in the period by what happened since (outcomes with none left out)."""
    done = made(frame).filter(pl.col("outcome").is_not_null())
    return done.group_by("outcome").agg(switches=pl.len().cast(pl.Int64))


def any_requests(cur: duckdb.DuckDBPyConnection, visible: tuple[str, ...] | None = None) -> bool:
    """Whether any switch request the viewer may see has been imported at all (to word the empty state)."""
    scope = None if visible is None else list(visible)
    return bool(db.run_row(cur, "switch_request_count", {"visible": scope})[0])


def outcomes_table(frame: pl.DataFrame) -> pl.DataFrame:
    rows = made(frame).filter(pl.col("outcome").is_not_null()).sort("requested_at", descending=True)
    return rows.select(
        pl.col("client_id").alias("Client"),
        day_text("requested_at").alias("Requested"),
        therapist_label("from_name", "from_therapist_id").alias("From"),
        therapist_label("to_name", "to_therapist_id").alias("To"),
        one_decimal(pl.col("srs_before")).alias("SRS with previous (last ≤3)"),
        one_decimal(pl.col("srs_after")).alias("SRS with new (first ≤3)"),
        one_decimal(pl.col("srs_change"), signed=True).alias("Change"),
        pl.col("attended_after").alias("Sessions with new"),
        pl.col("outcome").alias("Since the switch"),
        pl.col("category").alias("Category"),
        pl.col("reason").alias("Reason (client's words)"),
    )


def requests_table(frame: pl.DataFrame) -> pl.DataFrame:
    rows = made(frame).sort("requested_at", descending=True)
    return rows.select(
        pl.col("request_id").alias("Request"),
        day_text("requested_at").alias("Requested"),
        pl.col("client_id").alias("Client"),
        therapist_label("from_name", "from_therapist_id").alias("From"),
        therapist_label("to_name", "to_therapist_id", missing=MISSING).alias("To"),
        pl.col("status").fill_null("not recorded").alias("Status"),
        pl.col("category").alias("Category"),
        pl.col("reason").fill_null("").alias("Reason (client's words)"),
    )


def change_text(summary: dict) -> str:
    """One sentence on alliance after switching, with its denominator."""
    if not summary["compared"]:
        return "No completed switch in the period has SRS ratings with both therapists yet."
    return (f"In {summary['higher']} of {summary['compared']} switches with ratings on both sides, the client's "
            f"first ratings with the new therapist were higher than their last ones with the previous therapist "
            f"(mean change {summary['mean_change']:+.1f} points on the 0–40 SRS).")
