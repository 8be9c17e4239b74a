"""Figures for the Attendance, Dropout and Fit & switches pages: DataFrame in, Plotly figure out.

Same conventions as attune/charts.py (new_figure, Okabe-Ito colours, projector-sized fonts). Rates always
carry their denominator (in the axis label and the hover) and their 95% interval; rates over a small
denominator are drawn hollow and labelled "small".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import plotly.graph_objects as go
import polars as pl

from attune.charts import (
    BLUE,
    FONT_SIZE,
    GREEN,
    GREY,
    ORANGE,
    PALETTE,
    PURPLE,
    SKY,
    band,
    bar,
    mark_partial_months,
    new_figure,
    reference_line,
    scatter,
)
from attune.fit import CATEGORY_ORDER, NOT_ASSIGNED, OTHER_THERAPISTS

CATEGORY_COLOURS = dict(zip(CATEGORY_ORDER, [BLUE, ORANGE, GREEN, PURPLE, GREY], strict=True))


@dataclass(frozen=True)
class RateSeries:
    """One rate to draw: columns `{prefix}_rate/_low/_high/_small`, its numerator and denominator columns."""

    prefix: str
    name: str
    numerator: str
    denominator: str
    colour: str = BLUE


CHART_ROWS = 40  # a dot-and-interval chart with one row per level stays readable (about 1,900 px) up to here


def standing_out(frame: pl.DataFrame, prefix: str, limit: int = CHART_ROWS) -> pl.DataFrame:
    """At most `limit` rows of a breakdown for a chart: when there are more (a network has 2,000 therapists), the
    half whose 95% interval lies highest (largest lower bound) and the half whose interval lies lowest (smallest
    upper bound), in their original order. Chance alone puts few intervals far out, so these are the levels a
    reader should look at; the table under the chart keeps every row."""
    return standing_out_by(frame, f"{prefix}_low", f"{prefix}_high", limit)


def standing_out_by(frame: pl.DataFrame, low_column: str, high_column: str, limit: int = CHART_ROWS) -> pl.DataFrame:
    """standing_out for a frame whose interval bounds are named otherwise."""
    if frame.height <= limit:
        return frame
    ranked = frame.with_row_index("_row")
    high = ranked.sort(low_column, descending=True, nulls_last=True).head(limit // 2)["_row"]
    low = ranked.filter(~pl.col("_row").is_in(high.implode())).sort(high_column, nulls_last=True)
    picked = pl.concat([high, low.head(limit - high.len())["_row"]])
    return ranked.filter(pl.col("_row").is_in(picked.implode())).drop("_row")


def standing_out_note(shown: pl.DataFrame, every: pl.DataFrame, unit: str = "therapists",
                      where: str = "the table below lists them all") -> str:
    """The caption's sentence when standing_out left rows out, else ''."""
    if shown.height == every.height:
        return ""
    return (f"The chart shows the {shown.height} of {every.height:,} {unit} whose intervals lie furthest above or "
            f"below the rest; {where}. ")


def _labels(frame: pl.DataFrame, level: str, denominator: str, small: str, between: str = "  ") -> list[str]:
    return [f"{name}{between}(n={n:,}{', small' if is_small else ''})"
            for name, n, is_small in zip(frame[level], frame[denominator], frame[small], strict=True)]


def rate_intervals(frame: pl.DataFrame, series: list[RateSeries], level: str = "level", horizontal: bool = True,
                   reference: float | None = None, reference_label: str = "clinic", title: str | None = None,
                   height: int | None = None) -> go.Figure:
    """Dots with 95% intervals, one row (or column) per level; the first series' denominator labels the axis."""
    first = series[0]
    labels = _labels(frame, level, first.denominator, f"{first.prefix}_small")
    positions = np.arange(frame.height)
    # Under columns, each label on two lines and level: slanted, each label's end sat under the next column, and
    # Plotly dropped the last label when they crowded.
    ticks = labels if horizontal else _labels(frame, level, first.denominator, f"{first.prefix}_small", "<br>")
    category_axis = {"tickmode": "array", "tickvals": positions, "ticktext": np.array(ticks, dtype=object),
                     "automargin": True, "showgrid": False, "zeroline": False, "range": [-0.6, frame.height - 0.4]}
    if not horizontal:
        category_axis["tickangle"] = 0
    rate_axis = {"tickformat": ".0%", "rangemode": "tozero", "title": {"text": "rate (95% interval)"}}
    axes = ({"xaxis": rate_axis, "yaxis": category_axis | {"range": [frame.height - 0.4, -0.6]}} if horizontal
            else {"yaxis": rate_axis, "xaxis": category_axis})
    fig = new_figure(height=height or (max(320, 70 + 46 * frame.height) if horizontal else 440), title=title,
                     showlegend=len(series) > 1, **axes)
    for j, s in enumerate(series):
        offset = (j - (len(series) - 1) / 2) * 0.3  # side by side, so that intervals never overlap
        where = positions + offset
        rate, low, high = (frame[f"{s.prefix}_{k}"] for k in ("rate", "low", "high"))
        errors = {"type": "data", "symmetric": False, "array": (high - rate).to_numpy(),
                  "arrayminus": (rate - low).to_numpy(), "color": s.colour, "thickness": 2, "width": 5}
        custom = np.array([[lab, num, den, lo, hi] for lab, num, den, lo, hi in
                           zip(labels, frame[s.numerator], frame[s.denominator], low, high, strict=True)], dtype=object)
        common = {"mode": "markers", "name": s.name, "customdata": custom,
                  "marker": {"color": s.colour, "size": 12, "line": {"color": s.colour, "width": 2}}}
        value = "%{x:.1%}" if horizontal else "%{y:.1%}"
        hover = (f"%{{customdata[0]}}<br>{s.name}: {value} (%{{customdata[1]:,}} of %{{customdata[2]:,}})"
                 "<br>95% interval %{customdata[3]:.1%}–%{customdata[4]:.1%}<extra></extra>")
        if horizontal:
            fig.add_trace(scatter(x=rate, y=where, error_x=errors, hovertemplate=hover, **common))
        else:
            fig.add_trace(scatter(x=where, y=rate, error_y=errors, hovertemplate=hover, **common))
        hollow = frame[f"{s.prefix}_small"].fill_null(False).to_numpy()
        at = (rate.to_numpy()[hollow], where[hollow])
        _hollow_overlay(fig, *(at if horizontal else at[::-1]), s.colour, 12)
    if reference is not None:
        reference_line(fig, reference, axis="x" if horizontal else "y", line={"color": GREY, "dash": "dash"},
                       text=f"{reference_label} {reference:.1%}", position="top" if horizontal else "top left")
    return fig


def _hollow_overlay(fig: go.Figure, x, y, colour: str, size: int) -> None:
    """Redraw points over a small denominator as hollow rings (the legend keeps the filled symbol)."""
    if len(x):
        fig.add_trace(scatter(x=x, y=y, mode="markers", showlegend=False, hoverinfo="skip",
                              marker={"color": "white", "size": size, "line": {"color": colour, "width": 2}}))


def weekday_hour_heatmap(frame: pl.DataFrame, small: int) -> go.Figure:
    """No-show rate by weekday (rows) and hour (columns); each cell shows its rate and denominator."""
    days = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
    present = sorted(set(frame["weekday"].to_list()))
    hours = sorted(set(frame["hour"].to_list()))
    cell = {(w, h): r for w, h, r in zip(frame["weekday"], frame["hour"], frame.iter_rows(named=True), strict=True)}
    z, text, custom = [], [], []
    for w in present:
        z.append([]), text.append([]), custom.append([])
        for h in hours:
            row = cell.get((w, h))
            if row is None or not row["kept"]:
                z[-1].append(None), text[-1].append(""), custom[-1].append([0, 0])
                continue
            mark = "*" if row["kept"] < small else ""
            z[-1].append(row["no_show_rate"])
            text[-1].append(f"{row['no_show_rate']:.0%}{mark}<br>of {row['kept']:,}")
            custom[-1].append([row["no_show"], row["kept"]])
    # The colour scale stops at the highest rate over a sound denominator, so one missed booking out of one
    # does not wash out every other cell.
    sound = frame.filter(pl.col("kept") >= small)["no_show_rate"]
    top = sound.max() if sound.len() else frame["no_show_rate"].max()
    return new_figure(go.Heatmap(
        z=z, x=[f"{h:02d}:00" for h in hours], y=[days[w - 1] for w in present], text=text,
        texttemplate="%{text}", textfont={"size": FONT_SIZE - 2}, customdata=custom, colorscale="Blues", zmin=0,
        zmax=max(top or 0.0, 0.05), xgap=2, ygap=2,
        colorbar={"title": "no-show", "tickformat": ".0%"},
        hovertemplate="%{y} %{x}<br>No-show %{z:.1%} (%{customdata[0]:,} of %{customdata[1]:,})<extra></extra>"),
        height=max(300, 90 + 62 * len(present)), yaxis={"autorange": "reversed"}, xaxis={"type": "category"})


def rate_trend(frame: pl.DataFrame, series: list[RateSeries], x: str = "period", tick_format: str = "%d %b<br>%Y",
               title: str | None = None) -> go.Figure:
    """Rates over time, one line each; points over a small denominator hollow; counts in the hover."""
    fig = new_figure(height=420, title=title, xaxis={"tickformat": tick_format},
                     yaxis={"tickformat": ".0%", "rangemode": "tozero", "title": {"text": "rate"}})
    for s in series:
        custom = frame.select(s.numerator, s.denominator).to_numpy()
        small = frame[f"{s.prefix}_small"].to_list()
        fig.add_trace(scatter(
            x=frame[x], y=frame[f"{s.prefix}_rate"], mode="lines+markers", name=s.name, customdata=custom,
            line={"color": s.colour, "width": 3}, marker={"color": s.colour, "size": 9},
            hovertemplate=f"%{{x|%Y-%m-%d}}<br>{s.name}: %{{y:.1%}} (%{{customdata[0]:,}} of %{{customdata[1]:,}})"
                          "<extra></extra>"))
        rates = frame[f"{s.prefix}_rate"].to_list()
        hollow = [k for k, sm in enumerate(small) if sm and rates[k] is not None]
        _hollow_overlay(fig, [frame[x][k] for k in hollow], [rates[k] for k in hollow], s.colour, 9)
    return fig


def retention_curves(curves: pl.DataFrame) -> go.Figure:
    """Kaplan–Meier step curves with their 95% bands, the whole selection first (blue, widest line)."""
    fig = new_figure(height=460, yaxis={"tickformat": ".0%", "range": [0, 1.02], "title": {"text": "still in therapy"}},
                     xaxis={"title": {"text": "sessions attended"}, "rangemode": "tozero", "dtick": 2})
    colours = [BLUE, ORANGE, GREEN, PURPLE, SKY, GREY]
    for i, (group, rows) in enumerate(curves.group_by("group", maintain_order=True)):
        name = group[0]
        colour = colours[i % len(colours)]
        rows = rows.sort("time")
        if rows["time"][0] > 0:  # everyone is still in therapy before the first session
            start = pl.DataFrame({"time": [0], "at_risk": [rows["at_risk"][0]], "events": [0], "censored": [0],
                                  "survival": [1.0], "low": [1.0], "high": [1.0]})
            rows = pl.concat([start, rows.select(start.columns)], how="vertical_relaxed")
        x = rows["time"].to_list()
        bounded = rows.filter(pl.col("low").is_not_null())
        upper_x, upper_y = _steps(bounded["time"].to_list(), bounded["high"].to_list(), x[-1])
        lower_x, lower_y = _steps(bounded["time"].to_list(), bounded["low"].to_list(), x[-1])
        fill = _rgba(colour, 0.15 if i == 0 else 0.10)
        fig.add_trace(band(upper_x + lower_x[::-1], upper_y + lower_y[::-1], fill, legendgroup=name))
        fig.add_trace(scatter(
            x=x, y=rows["survival"], mode="lines", name=name, legendgroup=name, line_shape="hv",
            line={"color": colour, "width": 4 if i == 0 else 3},
            customdata=rows.select("at_risk", "events", "censored").to_numpy(),
            hovertemplate=f"{name}<br>after %{{x}} sessions: %{{y:.1%}} still in therapy<br>"
                          "%{customdata[0]:,} at risk, %{customdata[1]:,} left, %{customdata[2]:,} censored"
                          "<extra></extra>"))
    return fig


def _steps(times: list, values: list, last: float) -> tuple[list, list]:
    """The corners of a right-continuous step function, so that a band can be drawn as one polygon."""
    xs, ys = [], []
    for k, (t, v) in enumerate(zip(times, values, strict=True)):
        end = times[k + 1] if k + 1 < len(times) else last
        xs += [t, end]
        ys += [v, v]
    return xs, ys


def _rgba(hex_colour: str, alpha: float) -> str:
    r, g, b = (int(hex_colour[i:i + 2], 16) for i in (1, 3, 5))
    return f"rgba({r},{g},{b},{alpha})"


def category_months(frame: pl.DataFrame, period: tuple[date, date] | None = None) -> go.Figure:
    """Requests per month stacked by reason category; a month the `period` covers only in part is faded and
    labelled."""
    fig = new_figure(height=380, barmode="stack", xaxis={"tickformat": "%b<br>%Y", "dtick": "M1"},
                     yaxis={"title": {"text": "requests"}, "rangemode": "tozero",
                            "dtick": 1 if frame["requests"].sum() < 12 else None})
    for category in CATEGORY_ORDER:
        rows = frame.filter(pl.col("category") == category)
        if rows.is_empty():
            continue
        fig.add_trace(bar(x=rows["month"], y=rows["requests"], name=category,
                          marker_color=CATEGORY_COLOURS[category],
                          hovertemplate=f"%{{x|%b %Y}}<br>{category}: %{{y}}<extra></extra>"))
    mark_partial_months(fig, period)
    return fig


def category_bars(frame: pl.DataFrame) -> go.Figure:
    total = int(frame["requests"].sum())
    return new_figure(bar(
        x=frame["requests"], y=frame["category"], orientation="h",
        marker_color=[CATEGORY_COLOURS[c] for c in frame["category"]],
        text=[f"{n:,} of {total:,} ({n / total:.0%})" for n in frame["requests"]], textposition="outside",
        cliponaxis=False, hovertemplate="%{y}: %{x} requests<extra></extra>"),
        height=max(260, 70 + 52 * frame.height), showlegend=False, yaxis={"autorange": "reversed", "automargin": True},
        xaxis={"title": {"text": "requests made"}, "rangemode": "tozero", "range": [0, frame["requests"].max() * 1.7]})


def flow_matrix(frame: pl.DataFrame) -> go.Figure:
    """Requests from (rows) → to (columns) as a grid of counts; empty cells left blank."""
    sources, targets = _flow_order(frame["source"]), _flow_order(frame["target"])
    counts = {(s, t): n for s, t, n in frame.iter_rows()}
    z = [[counts.get((s, t)) for t in targets] for s in sources]
    text = [[str(v) if v else "" for v in row] for row in z]
    return new_figure(go.Heatmap(
        z=z, x=targets, y=sources, text=text, texttemplate="%{text}", colorscale="Blues", zmin=0, xgap=2, ygap=2,
        showscale=False, hovertemplate="from %{y}<br>to %{x}: %{z} requests<extra></extra>"),
        height=max(320, 140 + 44 * len(sources)),
        yaxis={"autorange": "reversed", "title": {"text": "from (therapist left)"}, "automargin": True},
        xaxis={"title": {"text": "to (new therapist)"}, "tickangle": -30, "automargin": True, "side": "bottom"})


def _flow_order(labels: pl.Series) -> list[str]:
    """Therapists by name, then the grouped other therapists, then NOT_ASSIGNED."""
    def rank(label: str) -> int:
        return 2 if label == NOT_ASSIGNED else 1 if label.startswith(OTHER_THERAPISTS) else 0

    return sorted(set(labels.to_list()), key=lambda label: (rank(label), label))


def flow_sankey(frame: pl.DataFrame) -> go.Figure:
    """The same flows as a Sankey diagram: therapists left on the left, new therapists on the right."""
    sources, targets = _flow_order(frame["source"]), _flow_order(frame["target"])
    labels = [f"{s} →" for s in sources] + [f"→ {t}" for t in targets]
    index = {("s", s): i for i, s in enumerate(sources)} | {("t", t): len(sources) + i for i, t in enumerate(targets)}
    return new_figure(go.Sankey(
        arrangement="snap",
        node={"label": labels, "pad": 14, "thickness": 18, "color": [BLUE] * len(sources) + [GREEN] * len(targets),
              "hovertemplate": "%{label}: %{value} requests<extra></extra>"},
        link={"source": [index[("s", s)] for s in frame["source"]],
              "target": [index[("t", t)] for t in frame["target"]], "value": frame["requests"].to_list(),
              # the node labels carry their own arrows, so a link names its two therapists itself
              "customdata": [f"{s} → {t}" for s, t in zip(frame["source"], frame["target"], strict=True)],
              "color": "rgba(86,180,233,0.35)", "hovertemplate": "%{customdata}: %{value} requests<extra></extra>"},
        textfont={"size": FONT_SIZE - 1}), height=max(340, 40 * max(len(sources), len(targets))))


def outcome_bars(counts: pl.DataFrame, order: list[str]) -> go.Figure:
    total = int(counts["switches"].sum())
    rows = counts.with_columns(o=pl.col("outcome").replace_strict({k: i for i, k in enumerate(order)},
                                                                  return_dtype=pl.Int64)).sort("o")
    return new_figure(bar(
        x=rows["switches"], y=rows["outcome"], orientation="h", marker_color=PALETTE[2],
        text=[f"{n:,} of {total:,}" for n in rows["switches"]], textposition="outside", cliponaxis=False,
        hovertemplate="%{y}: %{x}<extra></extra>"),
        height=max(240, 70 + 50 * rows.height), showlegend=False, yaxis={"autorange": "reversed", "automargin": True},
        xaxis={"title": {"text": "completed switches"}, "range": [0, rows["switches"].max() * 1.35],
               "dtick": 1 if total < 12 else None})
