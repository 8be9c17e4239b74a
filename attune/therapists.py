"""The Therapists page's numbers: each therapist beside the clinic, with intervals, never as a league table.

Every statistic is computed against the whole clinic in scope (the sidebar's team, site, service and date
filters) even when the therapist filter picks a few therapists: the clinic is the yardstick, the selection
only decides which rows are shown and which points are highlighted. Therapists with fewer than
`MIN_CLIENTS` clients with ratings are "too few to compare": they keep their counts but get no rates,
no funnel position and no interval.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, time, timedelta
from functools import lru_cache

import duckdb
import numpy as np
import polars as pl

from attune import db, glossary, metrics
from attune.contract import SESSION_STATUS_LABELS
from attune.filters import SRS_CUTOFF, Filters
from attune.formatting import (
    MISSING,
    count,
    day,
    one_decimal,
    percent_interval,
    rate,
    rate_text,
    score,
    therapist_label,
)
from attune.overview import DROPOUT_GAP_DAYS

# Outcome benchmarking standards compare a therapist only with at least 15 clients with ratings.
MIN_CLIENTS = glossary.MIN_CASELOAD
CURRENT_DAYS = 42  # a client is current with an attended session in the last six weeks
RECENT_WEEKS = 4
CHANCE_REMINDER = ("Most differences between therapists are within chance: read the intervals, not the order. "
                   "Use this page to plan supervision, not to rank people.")
SHRINKAGE_NOTE = ("Each mean is pulled toward the clinic mean in proportion to its uncertainty: a therapist "
                  "with few rated clients has a noisy mean, so a good or bad run on a small caseload moves "
                  "the estimate less than it moves the raw average (hover for the raw mean).")
def overdispersion_note(phi: float) -> str:
    if phi <= 1:
        return ""
    return (f"Limits widened by a factor of {phi ** 0.5:.2f} (overdispersion φ = {phi:.2f}): therapists' rates spread "
            "more than chance between single sessions predicts, largely because a client's sessions resemble each "
            "other, so plain limits would single out too many therapists.")


NO_SPREAD_NOTE = ("Here the therapists' means differ no more than chance alone would make them differ, so every "
                  "estimate sits at the clinic mean: the data cannot tell these therapists' alliance apart.")
CLINIC_ROW = "clinic"  # the therapist_id of the outcomes' whole-clinic row
# The three rates drawn on funnel plots: label, numerator, denominator, what the denominator counts.
MEASURES = {
    "no_show": ("No-show rate", "no_show", "no_show_denominator", "sessions booked (attended, no-show, late cancel)"),
    "dropout": ("Dropout rate", "dropouts", "ended_episodes", "episodes ended in the period"),
    "below_cutoff": (f"Sessions rated below {SRS_CUTOFF:g}", "below_cutoff", "rated_sessions", "rated sessions"),
}
POSITION_WORDS = {
    "within": "within the expected range",
    "above 95%": "above the 95% limit",
    "above 99.8%": "above the 99.8% limit",
    "below 95%": "below the 95% limit",
    "below 99.8%": "below the 99.8% limit",
}


def clinic_scope(filters: Filters) -> Filters:
    """The same period, teams, sites and services, with every therapist: the comparison's yardstick."""
    return replace(filters, therapist_ids=())


def drill_scope(filters: Filters, therapist_id: str) -> Filters:
    """The same period, teams, sites and services, for one therapist: what the drill-down's own per-therapist
    figures need (computing every therapist's to show one row cost 0.25 s at 10M sessions)."""
    return replace(filters, therapist_ids=(therapist_id,))


def _selected(filters: Filters) -> pl.Expr:
    if not filters.therapist_ids:
        return pl.lit(True)
    return pl.col("therapist_id").is_in(list(filters.therapist_ids))


def mark_selected(frame: pl.DataFrame, filters: Filters) -> pl.DataFrame:
    """`frame` (from compare or ors_outcomes) with `selected` set for the therapists `filters` chose (and the
    clinic row). Both compute every therapist in the clinic scope whatever the choice, so a page can cache them
    on clinic_scope(filters) and mark the choice here: choosing another therapist then runs no query."""
    if "therapist_id" not in frame.columns:  # ors_outcomes' empty answer
        return frame
    return frame.with_columns(selected=_selected(filters) | (pl.col("therapist_id") == CLINIC_ROW))


def alliance(clients: pl.DataFrame) -> pl.DataFrame:
    """Per therapist: mean SRS with a client-clustered 95% interval, and its empirical-Bayes shrunk value.

    `clients` has one row per therapist and client (ratings, srs_sum). Means are pulled toward the clinic's
    mean over all its ratings (the figure the rest of the page shows); the spread between therapists is
    estimated from every therapist with at least two rated clients.
    """
    # Therapists as codes 0..k-1 in id order, by binary search in the sorted ids: numpy's unique on 300,000 id
    # strings took 150 ms at 10M sessions, Polars' dense rank 130 ms.
    ids = clients["therapist_id"]
    keys = ids.unique().sort()
    est = metrics.clustered_means(keys.search_sorted(ids).to_numpy(), clients["srs_sum"].to_numpy(),
                                  clients["ratings"].to_numpy())
    low, high = est.interval()
    frame = pl.DataFrame({"therapist_id": keys.gather(est.keys), "mean_srs": est.mean,
                          "srs_se": est.se, "srs_low": low, "srs_high": high},
                         schema={"therapist_id": pl.Utf8, "mean_srs": pl.Float64, "srs_se": pl.Float64,
                                 "srs_low": pl.Float64, "srs_high": pl.Float64})
    usable = frame.filter(pl.col("srs_se").is_not_nan() & (pl.col("srs_se") > 0))
    clinic = metrics.clustered_mean(clients["srs_sum"].to_numpy(), clients["ratings"].to_numpy())
    fit = metrics.shrink_means(usable["mean_srs"].to_numpy(), usable["srs_se"].to_numpy(), clinic.mean,
                               0.0 if np.isnan(clinic.se) else clinic.se)
    z = metrics.z_value(0.95)
    shrunk = usable.select("therapist_id").with_columns(
        shrunk_srs=pl.Series(fit.shrunk, dtype=pl.Float64),
        shrunk_low=pl.Series(fit.shrunk - z * fit.shrunk_se, dtype=pl.Float64),
        shrunk_high=pl.Series(fit.shrunk + z * fit.shrunk_se, dtype=pl.Float64),
        shrink_weight=pl.Series(fit.weight, dtype=pl.Float64),
        srs_grand_mean=pl.lit(fit.grand_mean, dtype=pl.Float64),
        srs_between_sd=pl.lit(np.sqrt(fit.tau2), dtype=pl.Float64),
    )
    return frame.join(shrunk, on="therapist_id", how="left").with_columns(pl.col(pl.Float64).fill_nan(None))


def compare(cur: duckdb.DuckDBPyConnection, filters: Filters, min_clients: int = MIN_CLIENTS) -> pl.DataFrame:
    """One row per therapist in the clinic scope with every number the page shows (numeric, unformatted)."""
    params = clinic_scope(filters).params(dropout_gap_days=DROPOUT_GAP_DAYS)
    base = db.run_query(cur, "therapist_summary", params)
    clients = db.run_query(cur, "therapist_client_srs", params)
    rated = clients.group_by("therapist_id").agg(
        pl.col("ratings").sum().alias("rated_sessions"), pl.len().cast(pl.Int64).alias("rated_clients"),
        pl.col("below_cutoff").sum())
    counts = ("rated_sessions", "rated_clients", "below_cutoff")
    frame = (base.join(rated, on="therapist_id", how="left").with_columns(pl.col(counts).fill_null(0))
             .join(alliance(clients), on="therapist_id", how="left")
             .with_columns(compared=pl.col("rated_clients") >= min_clients))
    compared = frame["compared"].to_numpy()
    for key, (_, num, den, _) in MEASURES.items():
        x, n = frame[num].to_numpy(), frame[den].to_numpy()
        low, high = metrics.wilson_interval(x, n)
        p0 = frame[num].sum() / frame[den].sum() if frame[den].sum() else float("nan")
        phi = metrics.overdispersion(x[compared], n[compared], p0) if frame[den].sum() else 1.0
        position = metrics.funnel_position(x, n, p0, phi) if frame[den].sum() else np.full(frame.height, "no data")
        frame = frame.with_columns(
            pl.when(pl.col(den) > 0).then(pl.col(num) / pl.col(den)).alias(f"{key}_rate"),
            pl.Series(f"{key}_low", low).fill_nan(None),
            pl.Series(f"{key}_high", high).fill_nan(None),
            pl.when(pl.col("compared")).then(pl.Series(position.astype(str))).alias(f"{key}_position"),
            pl.lit(phi).alias(f"{key}_phi"),
        )
    return mark_selected(frame, filters)


def clinic_totals(frame: pl.DataFrame) -> dict:
    """The clinic's own figures (every therapist in scope, small caseloads included)."""
    totals = {
        "therapists": frame.height,
        "rated_sessions": int(frame["rated_sessions"].sum()),
        "mean_srs": None,
    }
    if totals["rated_sessions"]:
        totals["mean_srs"] = float((frame["mean_srs"].fill_null(0) * frame["rated_sessions"]).sum()
                                   / totals["rated_sessions"])
    for key, (_, num, den, _) in MEASURES.items():
        totals[num], totals[den] = int(frame[num].sum()), int(frame[den].sum())
        totals[f"{key}_rate"] = totals[num] / totals[den] if totals[den] else None
    return totals


_rate = rate_text  # '18.2% of 1,204': the form exports read back as two counts for privacy suppression
_interval = percent_interval


def _standing(row: dict, min_clients: int) -> str:
    if not row["compared"]:
        return f"Too few to compare ({row['rated_clients']} clients with ratings; {min_clients} needed)"
    notes = [f"{MEASURES[k][0]}: {POSITION_WORDS[row[f'{k}_position']]}" for k in MEASURES
             if row[f"{k}_position"] not in ("within", "no data", None)]
    return "; ".join(notes) if notes else "Within the expected range on every measure"


def _if_compared(value: pl.Expr, unknown: pl.Expr | None = None) -> pl.Expr:
    """`value` for a therapist compared with the clinic, the em dash for one with too few clients (or where
    `unknown` holds: a figure with no interval to show)."""
    hide = ~pl.col("compared") if unknown is None else ~pl.col("compared") | unknown
    return pl.when(hide).then(pl.lit(MISSING)).otherwise(value)


def comparison_table(frame: pl.DataFrame, min_clients: int = MIN_CLIENTS) -> pl.DataFrame:
    """The page's table: selected therapists by name, rates with denominators and intervals, no rank."""
    shown = frame.filter(pl.col("selected")).sort("therapist_name", "therapist_id")
    out = shown.select(
        pl.col("therapist_name").alias("Therapist"),
        pl.col("therapist_id").alias("ID"),
        pl.col("supervisor").alias("Team"),
        pl.col("active_clients").alias("Active clients"),
        pl.col("sessions_held").alias("Sessions"),
        _if_compared(pl.format("{} ({}–{})", pl.col("mean_srs").round(1), pl.col("srs_low").round(1),
                               pl.col("srs_high").round(1)), unknown=pl.col("srs_low").is_null())
        .alias("Mean SRS (95% CI)"),
        _if_compared(_rate("below_cutoff", "rated_sessions")).alias(f"Sessions below {SRS_CUTOFF:g}"),
        _if_compared(_rate("no_show", "no_show_denominator")).alias("No-show"),
        _if_compared(_interval("no_show_low", "no_show_high")).alias("No-show 95% CI"),
        _if_compared(_rate("dropouts", "ended_episodes")).alias("Dropout"),
        _if_compared(_interval("dropout_low", "dropout_high")).alias("Dropout 95% CI"),
        pl.col("switch_away").alias("Switch requests away"),
        pl.col("switch_to").alias("Switch requests to"),
    )
    standing = [_standing(row, min_clients) for row in shown.iter_rows(named=True)]
    return out.insert_column(2, pl.Series("Compared with the clinic", standing, dtype=pl.Utf8))


def funnel_points(frame: pl.DataFrame, measure: str) -> pl.DataFrame:
    """The compared therapists' points for one funnel plot."""
    _, num, den, _ = MEASURES[measure]
    return frame.filter(pl.col("compared") & (pl.col(den) > 0)).select(
        "therapist_id", "therapist_name", pl.col(num).alias("events"), pl.col(den).alias("denominator"),
        pl.col(f"{measure}_rate").alias("rate"), pl.col(f"{measure}_position").alias("position"), "selected")


@lru_cache(maxsize=256)
def funnel_curve(p0: float, max_n: int, phi: float = 1.0, points: int = 200) -> pl.DataFrame:
    """The clinic rate's 95% and 99.8% control limits from n = 1 to `max_n` (integer steps, spaced evenly).

    Remembered for the same inputs: the binomial quantiles take a few milliseconds, on every rerun otherwise."""
    n = np.unique(np.round(np.geomspace(1, max(max_n, 2), points))).astype(int)
    lo95, hi95 = metrics.funnel_limits(p0, n, 0.95, phi)
    lo998, hi998 = metrics.funnel_limits(p0, n, 0.998, phi)
    return pl.DataFrame({"n": n, "lo95": lo95, "hi95": hi95, "lo998": lo998, "hi998": hi998})


def alliance_points(frame: pl.DataFrame) -> pl.DataFrame:
    """Compared therapists' raw and shrunk alliance means, sorted by name."""
    return frame.filter(pl.col("compared") & pl.col("shrunk_srs").is_not_null()).sort("therapist_name").select(
        "therapist_id", "therapist_name", "rated_clients", "rated_sessions", "mean_srs", "srs_low", "srs_high",
        "shrunk_srs", "shrunk_low", "shrunk_high", "shrink_weight", "srs_grand_mean", "srs_between_sd", "selected")


# ---- outcome (ORS) ----

def ors_outcomes(cur: duckdb.DuckDBPyConnection, filters: Filters, min_clients: int = MIN_CLIENTS) -> pl.DataFrame:
    """Per therapist (and a final clinic row): reliable improvement and severity-adjusted ORS change.

    Reliable improvement: latest ORS at least 5 points above the first with this therapist, out of clients
    rated at least twice. Severity-adjusted change: the clinic-wide regression of change on intake, over
    clients who started in the clinical range (below 25), then each therapist's mean adjusted change.
    """
    pairs = db.run_query(cur, _ors_pairs_query(cur, filters), clinic_scope(filters).params())
    if pairs.is_empty():
        return pl.DataFrame()
    intake, latest = pairs["intake_ors"].to_numpy(), pairs["latest_ors"].to_numpy()
    adjusted = metrics.severity_adjusted_change(intake, latest)
    change = metrics.reliable_change(intake, latest)
    pairs = pairs.with_columns(
        improved=pl.Series(change == "improved"),
        deteriorated=pl.Series(change == "deteriorated"),
        adjusted_change=pl.Series(adjusted.adjusted).fill_nan(None),
    )
    per = pairs.group_by("therapist_id").agg(pl.col("therapist_name").first(), *_ors_aggregates())
    clinic = pairs.select(_ors_aggregates()).with_columns(
        therapist_id=pl.lit(CLINIC_ROW), therapist_name=pl.lit("Whole clinic"))
    out = pl.concat([per.sort("therapist_name", "therapist_id"), clinic.select(per.columns)])
    low, high = metrics.wilson_interval(out["improved"].to_numpy(), out["clients"].to_numpy())
    adj_low, adj_high = metrics.mean_interval(out["adjusted_change"].to_numpy(), out["adjusted_sd"].to_numpy(),
                                              out["clinical_clients"].to_numpy())
    return mark_selected(out.with_columns(
        improved_low=pl.Series(low), improved_high=pl.Series(high),
        adjusted_low=pl.Series(adj_low).fill_nan(None), adjusted_high=pl.Series(adj_high).fill_nan(None),
        compared=(pl.col("clients") >= min_clients) | (pl.col("therapist_id") == CLINIC_ROW),
    ), filters)


def _ors_pairs_query(cur: duckdb.DuckDBPyConnection, filters: Filters) -> str:
    """The stored all-time ORS pairs answer a period ending at or after the newest rating (the default
    periods all end at the newest data); an earlier end needs the ratings up to it grouped live."""
    newest = db.run_row(cur, "newest_rating")[0]
    ends_after = newest is None or newest < datetime.combine(filters.end + timedelta(days=1), time())
    return "therapist_ors_pairs" if ends_after else "therapist_ors_clients"


def _ors_aggregates() -> list[pl.Expr]:
    return [
        pl.len().alias("clients"),
        pl.col("improved").sum().alias("improved"),
        pl.col("deteriorated").sum().alias("deteriorated"),
        pl.col("adjusted_change").count().alias("clinical_clients"),
        pl.col("adjusted_change").mean().alias("adjusted_change"),
        pl.col("adjusted_change").std().alias("adjusted_sd"),
    ]


def ors_table(outcomes: pl.DataFrame, min_clients: int = MIN_CLIENTS) -> pl.DataFrame:
    shown = outcomes.filter(pl.col("selected"))
    return shown.select(
        pl.when(pl.col("therapist_id") == CLINIC_ROW).then(pl.col("therapist_name")).otherwise(therapist_label())
        .alias("Therapist"),  # "Whole clinic", not "Whole clinic (clinic)"
        pl.col("clients").alias("Clients rated twice or more"),
        pl.when(~pl.col("compared")).then(pl.lit(f"Too few to compare (fewer than {min_clients} clients)")).otherwise(
            _rate("improved", "clients")).alias("Reliably improved"),
        _if_compared(_interval("improved_low", "improved_high")).alias("Reliably improved 95% CI"),
        _if_compared(_rate("deteriorated", "clients")).alias("Reliably worse"),
        pl.col("clinical_clients").alias("Started in clinical range"),
        _if_compared(pl.format("{} ({} to {})", pl.col("adjusted_change").round(1), pl.col("adjusted_low").round(1),
                               pl.col("adjusted_high").round(1)), unknown=pl.col("adjusted_low").is_null())
        .alias("Severity-adjusted change (95% CI)"),
    )


# ---- one therapist ----

def weekly(cur: duckdb.DuckDBPyConnection, filters: Filters, therapist_id: str) -> pl.DataFrame:
    """The therapist's weekly mean SRS (t interval over the week's ratings) and no-show rate, with the clinic's."""
    frame = db.run_query(cur, "therapist_weekly", clinic_scope(filters).params(therapist_id=therapist_id))
    low, high = metrics.mean_interval(frame["mean_srs"].fill_null(np.nan).to_numpy(),
                                      frame["srs_sd"].fill_null(np.nan).to_numpy(), frame["rated"].to_numpy())
    return frame.with_columns(
        srs_low=pl.Series(low).fill_nan(None), srs_high=pl.Series(high).fill_nan(None),
        no_show_rate=pl.when(pl.col("no_show_denominator") > 0).then(
            pl.col("no_show") / pl.col("no_show_denominator")),
        clinic_no_show_rate=pl.when(pl.col("clinic_no_show_denominator") > 0).then(
            pl.col("clinic_no_show") / pl.col("clinic_no_show_denominator")),
    )


def trend_summary(weekly_frame: pl.DataFrame, end: date, recent_weeks: int = RECENT_WEEKS) -> dict:
    """Mean SRS over the last `recent_weeks` weeks against the weeks before (ratings pooled, so weekly noise
    averages out), for the therapist and the clinic."""
    since = end - timedelta(days=end.weekday()) - timedelta(weeks=recent_weeks - 1)  # Monday of the first week
    out: dict = {"since": since}
    for part, rows in (("recent", weekly_frame.filter(pl.col("week") >= since)),
                       ("earlier", weekly_frame.filter(pl.col("week") < since))):
        for who, n_col, m_col in (("", "rated", "mean_srs"), ("clinic_", "clinic_rated", "clinic_mean_srs")):
            n = int(rows[n_col].sum())
            total = float((rows[m_col].fill_null(0) * rows[n_col]).sum())
            out[f"{who}{part}_n"], out[f"{who}{part}_mean"] = n, (total / n if n else None)
    return out


def trend_sentence(summary: dict) -> str:
    if not summary["recent_n"]:
        return f"No ratings since {day(summary['since'])}, so no recent change to report."
    if not summary["earlier_n"]:
        return (f"All {count(summary['recent_n'])} ratings of the period are from {day(summary['since'])} on: choose a "
                "longer period in the sidebar to compare the last weeks with the weeks before.")
    change = summary["recent_mean"] - summary["earlier_mean"]
    clinic = ""
    if summary["clinic_recent_n"] and summary["clinic_earlier_n"]:
        moved = summary["clinic_recent_mean"] - summary["clinic_earlier_mean"]
        clinic = f" The clinic moved {moved:+.1f} over the same weeks."
    return (f"Mean SRS since {day(summary['since'])}: {score(summary['recent_mean'])} over "
            f"{count(summary['recent_n'])} ratings, against {score(summary['earlier_mean'])} over "
            f"{count(summary['earlier_n'])} ratings before ({change:+.1f}).{clinic}")


def current_clients(cur: duckdb.DuckDBPyConnection, therapist_id: str, as_of: date,
                    visible: tuple[str, ...] | None = None) -> pl.DataFrame:
    """The therapist's current clients with their latest scores, plain signals and a link to the attention page."""
    frame = db.run_query(cur, "therapist_clients", {"therapist_id": therapist_id, "as_of": as_of,
                                                    "active_days": CURRENT_DAYS,
                                                    "visible": None if visible is None else list(visible)})
    signals = [_signals(row) for row in frame.iter_rows(named=True)]
    return frame.select(
        pl.format("./attention?client={}", pl.col("client_id")).alias("Client"),
        pl.col("first_session").dt.strftime("%Y-%m-%d").alias("First session"),
        pl.col("last_session").dt.strftime("%Y-%m-%d").alias("Last booking"),
        pl.col("last_status").replace(SESSION_STATUS_LABELS).alias("Last booking status"),
        pl.col("sessions_attended").alias("Sessions attended"),
        pl.col("no_shows").alias("No-shows"),
        one_decimal(pl.col("latest_srs")).alias("Latest SRS"),
        one_decimal(pl.col("latest_srs") - pl.col("previous_srs"), signed=True).alias("Change from previous SRS"),
        one_decimal(pl.col("intake_ors")).alias("First ORS"),
        one_decimal(pl.col("latest_ors")).alias("Latest ORS"),
    ).with_columns(pl.Series("Signals", signals, dtype=pl.Utf8))


def _signals(row: dict) -> str:
    notes = []
    if row["latest_srs"] is not None and row["latest_srs"] < SRS_CUTOFF:
        notes.append(f"latest SRS below {SRS_CUTOFF:g}")
    if row["latest_srs"] is not None and row["previous_srs"] is not None and \
            row["previous_srs"] - row["latest_srs"] >= 5:
        notes.append("SRS fell 5+ points")
    if row["last_status"] == "no_show":
        notes.append("missed the last booking")
    if row["open_switch_request"]:
        notes.append("asked to change therapist")
    return "; ".join(notes)


def _against(low: float, clinic: float, high: float, shown_per_unit: int = 10) -> str:
    """Where the clinic's value falls against a therapist's 95% interval, judged on the figures as shown (one
    decimal of a score, `shown_per_unit=10`; a tenth of a percent of a share, 1000): an interval shown as
    "3.8 to 5.3" beside a clinic of 5.3 includes it, though 5.27 < 5.31 underneath."""
    low, clinic, high = (round(v * shown_per_unit) for v in (low, clinic, high))
    if low <= clinic <= high:
        return "within chance (the interval includes the clinic)"
    return "higher than the clinic" if low > clinic else "lower than the clinic"


def profile(frame: pl.DataFrame, outcomes: pl.DataFrame, therapist_id: str,
            min_clients: int = MIN_CLIENTS) -> pl.DataFrame:
    """One therapist against the clinic: measure, the therapist's value with interval, the clinic's, and
    whether the difference is beyond chance."""
    row = frame.filter(pl.col("therapist_id") == therapist_id).row(0, named=True)
    clinic = clinic_totals(frame)
    few = not row["compared"]
    lines = []
    for label, value, low, high in (("Mean SRS (95% CI)", "mean_srs", "srs_low", "srs_high"),
                                    ("Mean SRS shrunk toward the clinic (95% CI)", "shrunk_srs", "shrunk_low",
                                     "shrunk_high")):
        if row[value] is None:
            continue
        interval = f" ({score(row[low])}–{score(row[high])})" if row[low] is not None else ""
        verdict = "too few to compare"
        if not few and row[low] is not None:
            verdict = _against(row[low], clinic["mean_srs"], row[high])
        lines.append((label, f"{score(row[value])}{interval}", score(clinic["mean_srs"]), verdict))
    for key, (label, num, den, _) in MEASURES.items():
        mine = MISSING if not row[den] else (f"{rate(row[num], row[den])} "
                                         f"({100 * row[f'{key}_low']:.1f}–{100 * row[f'{key}_high']:.1f}%)")
        verdict = "too few to compare" if few else POSITION_WORDS.get(row[f"{key}_position"], "no data")
        lines.append((label, mine, rate(clinic[num], clinic[den]), verdict))
    if not outcomes.is_empty():
        mine = outcomes.filter(pl.col("therapist_id") == therapist_id)
        whole = outcomes.filter(pl.col("therapist_id") == CLINIC_ROW).row(0, named=True)
        if mine.height:
            o = mine.row(0, named=True)
            small = o["clients"] < min_clients
            lines.append(("Reliably improved (ORS)", rate(o["improved"], o["clients"]),
                          rate(whole["improved"], whole["clients"]),
                          "too few to compare" if small else _against(
                              o["improved_low"], whole["improved"] / whole["clients"], o["improved_high"], 1000)))
            low, high = o["adjusted_low"], o["adjusted_high"]
            adjusted = score(o["adjusted_change"]) + ("" if low is None else f" ({score(low)} to {score(high)})")
            lines.append(("Severity-adjusted ORS change (95% CI)", adjusted, score(whole["adjusted_change"]),
                          "too few to compare" if small or low is None
                          else _against(low, whole["adjusted_change"], high)))
    return pl.DataFrame(lines, schema=["Measure", "This therapist", "Clinic", "Against the clinic"], orient="row")
