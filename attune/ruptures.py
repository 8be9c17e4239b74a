"""Rupture and repair: dips in a client's alliance score and whether the relationship recovered.

A rupture is an SRS total at least K points (`rupture_drop`) below the client's previous rating with the same
therapist, or a total below the cutoff (`srs_cutoff`) right after one at or above it. It is *repaired* when one of
the next R ratings (`repair_sessions`) is at or above the cutoff, or rises back to within 1 point of the rating
before the rupture; *unrepaired* when R ratings came without that, or the client stopped attending; *open* while
neither has happened. The detection is SQL (the `rupture_events` macro in queries/_macros.sql); this module
adds the thresholds, the intervals and the words.

Ruptures are framed as something to learn from, not a fault count: a rupture a client can show on the SRS is
one the relationship can repair, and repaired ruptures go with better outcomes than no rupture at all.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import duckdb
import polars as pl

from attune import attention, attention_facts, db, metrics, rate_charts, settings
from attune.filters import Filters
from attune.formatting import counted, rate, therapist_label
from attune.glossary import MIN_CASELOAD

# A period whose ruptures are still open in a larger share than this is not settled yet: so far only the quick
# outcomes are in (a repair at the next rating, an episode that ended), so its share repaired is biased. At 1M
# sessions the last week read 37% repaired with 87% of its ruptures open, beside 74-77% for settled weeks.
SETTLED_OPEN_SHARE = 0.2
STATUS_LABEL = {"repaired": "repaired", "unrepaired": "not repaired", "open": "not yet repaired"}


def _params(cur: duckdb.DuckDBPyConnection, filters: Filters | None, values: dict[str, Any] | None,
            as_of: date | None) -> dict[str, Any]:
    """Filter parameters, thresholds (stored ones when not given), the day outcomes are judged on, and whether
    the stored ruptures (attune/attention_facts.py) answer that day and those thresholds."""
    values = settings.load(cur) if values is None else values
    if as_of is None:
        as_of = attention.latest_day(cur, None if filters is None else filters.visible_therapists) or date.today()
    return attention.rule_params(as_of, values, filters,
                                 stored_ruptures=attention_facts.is_current(cur, as_of, values))


def wilson(successes: int, n: int) -> tuple[float | None, float | None]:
    """95% Wilson interval for one proportion (attune.metrics), None for an empty denominator."""
    if n <= 0:
        return None, None
    low, high = metrics.wilson_interval(successes, n)
    return float(low), float(high)


def events(cur: duckdb.DuckDBPyConnection, filters: Filters, values: dict[str, Any] | None = None,
           as_of: date | None = None) -> pl.DataFrame:
    """Every rupture noticed in the filters' period, with how it turned out as of `as_of` (queries/ruptures.sql)."""
    return db.run_query(cur, "ruptures", _params(cur, filters, values, as_of))


def for_client(cur: duckdb.DuckDBPyConnection, client_id: str, as_of: date, values: dict[str, Any] | None = None,
               visible: tuple[str, ...] | None = None) -> pl.DataFrame:
    """One client's ruptures (with every therapist the viewer may see), for the client timeline."""
    params = _params(cur, None, values, as_of)
    return db.run_query(cur, "ruptures_client", {**params, "client_id": client_id,
                                                 "visible": None if visible is None else list(visible)})


def _with_share(frame: pl.DataFrame) -> pl.DataFrame:
    """Add resolved (repaired + unrepaired), share_repaired and its Wilson interval (low, high)."""
    resolved = (frame["repaired"] + frame["unrepaired"]).cast(pl.Int64)
    low, high = metrics.wilson_interval(frame["repaired"].to_numpy(), resolved.to_numpy())
    return frame.with_columns(
        resolved=resolved,
        share_repaired=pl.when(resolved > 0).then(pl.col("repaired") / resolved),
        low=pl.Series(low, dtype=pl.Float64, nan_to_null=True),
        high=pl.Series(high, dtype=pl.Float64, nan_to_null=True),
    )


def by_therapist(cur: duckdb.DuckDBPyConnection, filters: Filters, values: dict[str, Any] | None = None,
                 as_of: date | None = None, min_caseload: int = MIN_CASELOAD) -> pl.DataFrame:
    """Per therapist: ruptures noticed in the period, share repaired with a 95% Wilson interval, median sessions
    to repair, and whether the caseload is large enough to compare (`min_caseload` clients rated in the period).

    The share is of resolved ruptures (repaired or not repaired); open ones are counted apart, as their outcome is
    not known yet. Columns: therapist_id, therapist_name, supervisor, clients, rated, ruptures, repaired,
    unrepaired, open, stopped, median_to_repair, resolved, share_repaired, low, high, small_caseload.
    Ordered by share repaired (highest first), therapists with too small a caseload last.
    """
    frame = _with_share(db.run_query(cur, "ruptures_by_therapist", _params(cur, filters, values, as_of)))
    frame = frame.with_columns(small_caseload=pl.col("clients") < min_caseload)
    return frame.sort(["small_caseload", "share_repaired", "resolved", "therapist_name"],
                      descending=[False, True, True, False], nulls_last=True)


def clinic_total(per_therapist: pl.DataFrame, events: pl.DataFrame | None = None) -> dict[str, Any]:
    """The clinic-wide figures behind a per-therapist table: counts, share repaired with its interval, and (given
    the ruptures themselves, `events`) the median number of rated sessions a repair took."""
    total = {k: int(per_therapist[k].sum()) for k in ("clients", "ruptures", "repaired", "unrepaired", "open")}
    resolved = total["repaired"] + total["unrepaired"]
    low, high = wilson(total["repaired"], resolved)
    median = None if events is None else events["sessions_to_repair"].median()
    return {**total, "resolved": resolved, "share_repaired": total["repaired"] / resolved if resolved else None,
            "low": low, "high": high, "median_to_repair": median}


def _interval(low: float | None, high: float | None) -> str | None:
    return None if low is None else f"{100 * low:.0f}–{100 * high:.0f}%"


def charted(per_therapist: pl.DataFrame) -> pl.DataFrame:
    """The therapists the repair chart draws: those with a resolved rupture, and of a network's the
    rate_charts.CHART_ROWS whose intervals lie furthest above or below the rest (one row each for 2,000
    therapists drew a chart 68,000 px tall)."""
    return rate_charts.standing_out_by(per_therapist.filter(pl.col("resolved") > 0), "low", "high")


def chart_note(per_therapist: pl.DataFrame, drawn: pl.DataFrame) -> str:
    """The caption's sentence when the chart (`drawn`, from charted) leaves therapists out, else ''."""
    return rate_charts.standing_out_note(drawn, per_therapist.filter(pl.col("resolved") > 0))


def therapist_table(per_therapist: pl.DataFrame, min_caseload: int = MIN_CASELOAD) -> pl.DataFrame:
    """The per-therapist view as shown and exported: readable columns, rates with their denominators."""
    rows = per_therapist.iter_rows(named=True)
    return pl.DataFrame([{
        "Therapist": f"{r['therapist_name']} ({r['therapist_id']})",
        "Clients rated": r["clients"],
        "Ruptures noticed": r["ruptures"],
        "Repaired": r["repaired"],
        "Not repaired": r["unrepaired"],
        "Still open": r["open"],
        "Share repaired": rate(r["repaired"], r["resolved"]),
        "95% interval": _interval(r["low"], r["high"]),
        "Median sessions to repair": r["median_to_repair"],
        "Note": (f"fewer than {min_caseload} clients: too few to compare" if r["small_caseload"] else ""),
    } for r in rows], schema={"Therapist": pl.Utf8, "Clients rated": pl.Int64, "Ruptures noticed": pl.Int64,
                              "Repaired": pl.Int64, "Not repaired": pl.Int64, "Still open": pl.Int64,
                              "Share repaired": pl.Utf8, "95% interval": pl.Utf8,
                              "Median sessions to repair": pl.Float64, "Note": pl.Utf8})


def grain(filters: Filters) -> str:
    """Weeks for a period up to about four months, months up to two years, quarters beyond."""
    return "week" if filters.days <= 120 else "month" if filters.days <= 731 else "quarter"


def over_time(cur: duckdb.DuckDBPyConnection, filters: Filters, values: dict[str, Any] | None = None,
              as_of: date | None = None) -> pl.DataFrame:
    """Clinic-wide (within the filters) ruptures per week/month/quarter and the share repaired, with intervals.

    Columns: period_start, ruptures, repaired, unrepaired, open, resolved, share_repaired, low, high, grain,
    settled (at most SETTLED_OPEN_SHARE of the period's ruptures still open: its share will hardly change).
    """
    params = _params(cur, filters, values, as_of) | {"grain": grain(filters)}
    frame = _with_share(db.run_query(cur, "ruptures_over_time", params))
    return frame.with_columns(grain=pl.lit(params["grain"]),
                              settled=pl.col("open") <= SETTLED_OPEN_SHARE * pl.col("ruptures"))


def unsettled_note(periods: pl.DataFrame) -> str:
    """What the hollow points of the repair chart are, when there are any (attune.charts.repair_rate)."""
    early = periods.filter(~pl.col("settled") & (pl.col("resolved") > 0)).height
    if not early:
        return ""
    return (f" Hollow grey points ({counted(early, periods['grain'][0])} here): more than {SETTLED_OPEN_SHARE:.0%} "
            "of the ruptures still open, so only the quick outcomes are in so far and the share will change.")


def describe(values: dict[str, Any]) -> str:
    """The definitions with the thresholds in force, for captions and the glossary."""
    return (f"A **rupture** is an SRS total at least {values['rupture_drop']:g} points below the client's previous "
            f"rating with the same therapist, or below {values['srs_cutoff']:g} right after a rating at or above "
            f"it. It is **repaired** when one of the next {values['repair_sessions']} ratings is back within 1 point "
            f"of the rating before the rupture (or at or above {values['srs_cutoff']:g}); **not repaired** when "
            f"{values['repair_sessions']} ratings came without that, or the client stopped attending; **still "
            "open** while neither has happened.")


def client_reasons(ruptures: pl.DataFrame) -> list[str]:
    """One line per rupture of a client, oldest first, for the drill-down."""
    lines = []
    for r in ruptures.iter_rows(named=True):
        text = (f"{r['rupture_at']:%Y-%m-%d} with {r['therapist_name']}: SRS {r['before_srs']:.1f} → "
                f"{r['rupture_srs']:.1f}, {STATUS_LABEL[r['status']]}")
        if r["status"] == "repaired":
            n = r["sessions_to_repair"]
            text += f" on {r['repair_at']:%Y-%m-%d} ({r['repair_srs']:.1f}, {n} rated session{'s' * (n != 1)} later)"
        elif r["stopped"]:
            text += " (the client stopped attending)"
        lines.append(text + ".")
    return lines


def events_view(frame: pl.DataFrame) -> pl.DataFrame:
    """Ruptures one per row as the page shows them, newest first (a long list shows only its top);
    `Client` is a link to the client's history."""
    return frame.sort("rupture_on", "client_id", "therapist_id", descending=[True, False, False]).select(
        pl.col("rupture_on").alias("Rupture on"),
        therapist_label().alias("Therapist"),
        pl.format("/attention?client={}", "client_id").alias("Client"),
        pl.col("before_srs").alias("SRS before"), pl.col("rupture_srs").alias("SRS at rupture"),
        pl.when(pl.col("stopped")).then(pl.lit("not repaired (stopped attending)"))
        .otherwise(pl.col("status").replace_strict(STATUS_LABEL)).alias("Outcome"),
        pl.col("repair_on").alias("Repaired on"), pl.col("sessions_to_repair").alias("Sessions to repair"),
    )


def recent_records(cur: duckdb.DuckDBPyConnection, as_of: date, values: dict[str, Any]
                   ) -> dict[tuple[str, str], list[dict[str, Any]]]:
    """Ruptures of the last `active_days` days per (client, therapist), as plain records (for `attune flags`)."""
    since = Filters(as_of - timedelta(days=int(values["active_days"])), as_of)
    frame = events(cur, since, values, as_of)
    records: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for r in frame.iter_rows(named=True):
        records.setdefault((r["client_id"], r["therapist_id"]), []).append({
            "rupture_on": r["rupture_on"], "srs_before": r["before_srs"], "srs_at_rupture": r["rupture_srs"],
            "status": r["status"], "stopped_attending": r["stopped"], "ratings_since": r["ratings_since"],
            "repaired_on": r["repair_on"], "srs_at_repair": r["repair_srs"]})
    return records
