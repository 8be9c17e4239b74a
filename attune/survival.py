"""Kaplan–Meier retention curves with Greenwood confidence bands, for "still in therapy after k sessions".

Time is counted in sessions attended. An episode that ends with the event of interest (a dropout) at time t
leaves the curve there; an episode still running, or one that ended another way when only dropouts count,
is censored: it counts as at risk up to and including its last time and then leaves without an event.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import polars as pl

from attune.metrics import z_value

KM_SCHEMA = {"time": pl.Int64, "at_risk": pl.Int64, "events": pl.Int64, "censored": pl.Int64,
             "survival": pl.Float64, "std_err": pl.Float64, "low": pl.Float64, "high": pl.Float64}


def kaplan_meier(durations: Sequence[int] | pl.Series, events: Sequence[bool] | pl.Series,
                 confidence: float = 0.95) -> pl.DataFrame:
    """The Kaplan–Meier estimate, one row per distinct time at which anything happened.

    survival = product over times t' <= t of (1 - events/at_risk). std_err is Greenwood's:
    S * sqrt(sum events / (at_risk * (at_risk - events))). The band uses the log(-log S) transform
    (Kalbfleisch–Prentice), which keeps it inside 0–1; it is [1, 1] before the first event and undefined
    (null) once the curve reaches 0.
    """
    z = z_value(confidence)
    frame = pl.DataFrame({"time": pl.Series(durations, dtype=pl.Int64),
                          "event": pl.Series(events, dtype=pl.Boolean)})
    if frame.is_empty():
        return pl.DataFrame(schema=KM_SCHEMA)
    if frame["time"].null_count() or frame["event"].null_count() or frame["time"].min() < 0:
        raise ValueError("Kaplan–Meier needs a non-negative time and an event flag for every episode.")
    table = (frame.group_by("time").agg(events=pl.col("event").sum().cast(pl.Int64),
                                        censored=(~pl.col("event")).sum().cast(pl.Int64))
             .sort("time"))
    leaving = (table["events"] + table["censored"]).to_numpy()
    at_risk = len(frame) - np.concatenate(([0], np.cumsum(leaving)[:-1]))
    d = table["events"].to_numpy().astype(float)
    n = at_risk.astype(float)
    survival = np.cumprod(1.0 - d / n)
    with np.errstate(divide="ignore", invalid="ignore"):
        greenwood = np.cumsum(np.where(d > 0, d / (n * (n - d)), 0.0))
        std_err = survival * np.sqrt(greenwood)
        log_s = np.log(survival)
        spread = z * np.sqrt(greenwood) / np.abs(log_s)
        low = survival ** np.exp(spread)
        high = survival ** np.exp(-spread)
    no_event_yet = greenwood == 0
    low, high = np.where(no_event_yet, 1.0, low), np.where(no_event_yet, 1.0, high)
    reached_zero = survival <= 0
    return table.with_columns(
        pl.Series("at_risk", at_risk, dtype=pl.Int64),
        pl.Series("survival", survival),
        pl.Series("std_err", np.where(reached_zero, np.nan, std_err)),
        pl.Series("low", np.where(reached_zero, np.nan, low)),
        pl.Series("high", np.where(reached_zero, np.nan, high)),
    ).select(list(KM_SCHEMA)).with_columns(pl.col("std_err", "low", "high").fill_nan(None))


def median_time(curve: pl.DataFrame) -> int | None:
    """The first time at which the estimate falls to one half or below (None if it never does)."""
    below = curve.filter(pl.col("survival") <= 0.5)
    return None if below.is_empty() else int(below["time"][0])


def survival_at(curve: pl.DataFrame, time: int) -> float | None:
    """S(time): the estimate after `time` sessions (1.0 before the first recorded time; None beyond the data)."""
    if curve.is_empty() or time > curve["time"].max():
        return None
    before = curve.filter(pl.col("time") <= time)
    return 1.0 if before.is_empty() else float(before["survival"][-1])
