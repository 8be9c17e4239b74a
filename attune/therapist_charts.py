"""Figures for the Therapists page: funnel plots, shrunken alliance means, one therapist's trend.

Same conventions as attune/charts.py (Okabe-Ito colours, projector-sized fonts): vermilion and amber mark
only therapists beyond a control limit in the unwanted direction. Readable from a dozen therapists to a
few hundred: labels are kept for the points the data single out, every point has a hover.
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
import polars as pl

from attune.charts import (
    BLUE,
    FLAG,
    FONT_SIZE,
    GREEN,
    GREY,
    ORANGE,
    Overlay,
    band,
    new_figure,
    panel,
    reference_line,
    scatter,
    stacked_figure,
)

# position on the funnel -> (legend text, colour, marker symbol)
POSITION_STYLE = {
    "within": ("Within the 95% limits", BLUE, "circle"),
    "above 95%": ("Above the 95% limit", ORANGE, "diamond"),
    "above 99.8%": ("Above the 99.8% limit", FLAG, "diamond"),
    "below 95%": ("Below the 95% limit", GREEN, "triangle-down-open"),  # hollow: apart from below 99.8%
    "below 99.8%": ("Below the 99.8% limit", GREEN, "triangle-down"),
}
MANY = 40  # above this many therapists, label only the clearest outliers and shrink the markers


def funnel_note(therapist_count: int) -> str:
    """The caption over the funnel plots: which points `funnel` names depends on how many therapists there are."""
    named = ("the names are written beside those outside the 99.8% limits; hover any point for its therapist"
             if therapist_count > MANY else "they are named")
    return ("Funnel plots: each point is a therapist, the lines are the clinic rate and the range chance alone would "
            "give at that caseload (95% and 99.8%). Only a point outside the limits differs from the clinic: those "
            f"points are coloured, and {named}.")


def _short(name: str) -> str:
    """'Amara Okafor' -> 'Amara O.' for point labels (the hover has the full name)."""
    parts = name.split()
    return f"{parts[0]} {parts[-1][0]}." if len(parts) > 1 else name


def funnel(points: pl.DataFrame, curve: pl.DataFrame, p0: float, title: str, unit: str,
           highlight: bool = False) -> go.Figure:
    """Rate against its denominator per therapist, with the clinic rate and 95% / 99.8% control limits.

    `points`: therapist_id, therapist_name, events, denominator, rate, position, selected.
    `curve`: n, lo95, hi95, lo998, hi998 (from attune.therapists.funnel_curve).
    `highlight`: a therapist filter is active, so unselected therapists are drawn faintly as background.
    """
    many = points.height > MANY
    low_n = max(1.0, float(points["denominator"].min()) * 0.7) if points.height else 1.0
    shown = curve.filter(pl.col("n") >= low_n)
    background = points.filter(~pl.col("selected")) if highlight else None
    if highlight:
        points = points.filter(pl.col("selected"))
    top = max([float(points["rate"].max() or 0) if points.height else 0.0,
               float(shown["hi95"].max() or 0) if shown.height else 0.0, p0 * 1.5])
    fig = new_figure(height=460 if not many else 520, legend={"font": {"size": FONT_SIZE - 2}},
                     yaxis={"title": {"text": title}, "tickformat": ".0%", "range": [0, min(1.0, top * 1.12)]},
                     xaxis={"title": {"text": f"Number of {unit}"}})
    for level, dash, width in (("998", "dot", 2), ("95", "dash", 2)):
        label = "99.8% limits" if level == "998" else "95% limits"
        for side in ("lo", "hi"):
            fig.add_trace(scatter(
                x=shown["n"], y=shown[f"{side}{level}"], mode="lines", line={"color": GREY, "dash": dash,
                                                                            "width": width},
                name=label, legendgroup=label, showlegend=side == "hi", hoverinfo="skip"))
    fig.add_trace(scatter(x=[shown["n"].min(), shown["n"].max()], y=[p0, p0], mode="lines",
                          line={"color": GREY, "width": 2}, name=f"Clinic {p0:.1%}", hoverinfo="skip"))
    if background is not None:
        fig.add_trace(scatter(
            x=background["denominator"], y=background["rate"], mode="markers", name="Other therapists",
            marker={"color": "rgba(127,127,127,0.35)", "size": 7}, customdata=_custom(background, unit),
            hovertemplate=_HOVER))
    for position, (label, colour, symbol) in POSITION_STYLE.items():
        part = points.filter(pl.col("position") == position)
        if part.is_empty():
            continue
        named = position != "within" and (not many or "99.8" in position or highlight)
        # in a network, with the id: therapists there share names ("Amara C." twice)
        labels = ([f"{_short(n)} ({t})" if many else _short(n) for n, t in
                   part.select("therapist_name", "therapist_id").iter_rows()]
                  if named or (highlight and part.height <= MANY) else None)
        edge = ({"color": colour, "width": 2} if symbol.endswith("-open") else {"color": "white", "width": 1})
        fig.add_trace(scatter(
            x=part["denominator"], y=part["rate"], mode="markers+text" if labels else "markers", text=labels,
            textposition="top center", textfont={"size": FONT_SIZE - 2},
            name=label, marker={"color": colour, "symbol": symbol, "size": 8 if many else 13,
                                "opacity": 0.8 if many else 1, "line": edge},
            customdata=_custom(part, unit), hovertemplate=_HOVER))
    return fig


_HOVER = "<b>%{customdata[0]}</b><br>%{y:.1%}: %{customdata[1]:,} of %{x:,} %{customdata[2]}<br>%{customdata[3]}" \
         "<extra></extra>"


def _custom(part: pl.DataFrame, unit: str) -> np.ndarray:
    words = {"within": "within the expected range", "above 95%": "above the 95% limit",
             "above 99.8%": "above the 99.8% limit", "below 95%": "below the 95% limit",
             "below 99.8%": "below the 99.8% limit"}
    return np.array([[f"{name} ({tid})", events, unit, words.get(pos, "")] for name, tid, events, pos in
                     part.select("therapist_name", "therapist_id", "events", "position").iter_rows()], dtype=object)


def alliance_intervals(frame: pl.DataFrame, grand_mean: float, highlight: bool = False) -> go.Figure:
    """Shrunk mean SRS with 95% intervals per therapist; the raw mean is in the hover.

    Up to MANY therapists: one row per therapist in name order (no ranking). More: shrunk mean against
    the number of rated clients, names on hover and on the intervals that exclude the clinic mean.
    """
    many = frame.height > MANY
    colour = [FLAG if hi < grand_mean else GREEN if lo > grand_mean else BLUE
              for lo, hi in frame.select("shrunk_low", "shrunk_high").iter_rows()]
    if highlight:
        colour = [c if sel else "rgba(127,127,127,0.45)" for c, sel in zip(colour, frame["selected"], strict=True)]
    custom = np.array([[f"{r['therapist_name']} ({r['therapist_id']})", r["mean_srs"], r["srs_low"], r["srs_high"],
                        r["rated_sessions"], r["rated_clients"], r["shrink_weight"]]
                       for r in frame.iter_rows(named=True)], dtype=object)
    hover = ("<b>%{customdata[0]}</b><br>Shrunk mean %{" + ("y" if many else "x") + ":.1f}<br>"
             "Raw mean %{customdata[1]:.1f} (%{customdata[2]:.1f}–%{customdata[3]:.1f})<br>"
             "%{customdata[4]:,} ratings from %{customdata[5]:,} clients; own data weigh %{customdata[6]:.0%}"
             "<extra></extra>")
    error = {"type": "data", "symmetric": False, "thickness": 2, "width": 0 if many else 6}
    if many:
        outside = [c in (FLAG, GREEN) for c in colour]
        fig = new_figure(scatter(
            x=frame["rated_clients"], y=frame["shrunk_srs"], mode="markers+text",
            text=[_short(n) if o else "" for n, o in zip(frame["therapist_name"], outside, strict=True)],
            textposition="middle right", textfont={"size": FONT_SIZE - 3},
            marker={"color": colour, "size": 7},
            error_y={**error, "array": frame["shrunk_high"] - frame["shrunk_srs"],
                     "arrayminus": frame["shrunk_srs"] - frame["shrunk_low"], "color": "rgba(0,114,178,0.35)"},
            customdata=custom, hovertemplate=hover, showlegend=False),
            height=560, xaxis={"title": {"text": "Clients with ratings"}, "rangemode": "tozero"},
            yaxis={"title": {"text": "Mean SRS (shrunk, 95% interval)"}})
        return reference_line(fig, grand_mean, axis="y", line={"color": GREY, "width": 2},
                              text=f"clinic {grand_mean:.1f}", position="top left")
    names = [f"{_short(n)} ({t})" for n, t in frame.select("therapist_name", "therapist_id").iter_rows()]
    fig = new_figure(scatter(
        x=frame["shrunk_srs"], y=names, mode="markers", marker={"color": colour, "size": 13},
        error_x={**error, "array": frame["shrunk_high"] - frame["shrunk_srs"],
                 "arrayminus": frame["shrunk_srs"] - frame["shrunk_low"], "color": GREY},
        customdata=custom, hovertemplate=hover, showlegend=False),
        height=max(300, 90 + 42 * frame.height), yaxis={"autorange": "reversed"},
        xaxis={"title": {"text": "Mean SRS, shrunk toward the clinic mean (95% interval)"}})
    return reference_line(fig, grand_mean, axis="x", line={"color": GREY, "width": 2}, text=f"clinic {grand_mean:.1f}",
                          position="top")


def therapist_trend(frame: pl.DataFrame, name: str, srs_cutoff: float = 36.0) -> go.Figure:
    """A therapist's weekly mean SRS (95% interval band) and no-show rate, each beside the clinic's."""
    rated = frame.filter(pl.col("rated") > 0)
    weeks = rated.filter(pl.col("srs_low").is_not_null())
    clinic = frame.filter(pl.col("clinic_rated") > 0)
    lowest = min([srs_cutoff, *rated["mean_srs"].to_list(), *clinic["clinic_mean_srs"].to_list()])
    fig = stacked_figure((f"Mean SRS per week: {name} (95% interval) and the clinic", "No-show rate per week"),
                         spacing=0.12, height=600, margin={"t": 90}, legend={"y": 1.08},
                         yaxis={"title": {"text": "SRS total"}, "range": [max(0.0, lowest - 4), 40.5]},
                         yaxis2={"title": {"text": "No-show"}, "tickformat": ".0%", "rangemode": "tozero"},
                         xaxis2={"tickformat": "%d %b<br>%Y"})
    fig.add_trace(band(  # clipped to the scale: a week with two ratings has a very wide interval
        pl.concat([weeks["week"], weeks["week"].reverse()]),
        pl.concat([weeks["srs_high"].clip(upper_bound=40), weeks["srs_low"].clip(lower_bound=0).reverse()]),
        "rgba(0,114,178,0.15)", name="95% interval", **panel(1)))
    fig.add_trace(scatter(
        x=rated["week"], y=rated["mean_srs"], mode="lines+markers", line={"color": BLUE, "width": 3},
        name=name, customdata=rated["rated"],
        hovertemplate="Week of %{x|%Y-%m-%d}<br>Mean SRS %{y:.1f} over %{customdata} ratings<extra></extra>",
        **panel(1)))
    fig.add_trace(scatter(
        x=clinic["week"], y=clinic["clinic_mean_srs"], mode="lines", line={"color": GREY, "width": 2, "dash": "dash"},
        name="Clinic", hovertemplate="Week of %{x|%Y-%m-%d}<br>Clinic mean SRS %{y:.1f}<extra></extra>", **panel(1)))
    fig.add_trace(scatter(
        x=frame["week"], y=frame["no_show_rate"], mode="lines+markers", line={"color": ORANGE, "width": 3},
        name=f"No-show rate, {name}", customdata=frame.select("no_show", "no_show_denominator").to_numpy(),
        hovertemplate="Week of %{x|%Y-%m-%d}<br>No-show %{y:.1%} (%{customdata[0]:,} of %{customdata[1]:,})"
                      "<extra></extra>", showlegend=False, **panel(2)))
    fig.add_trace(scatter(
        x=frame["week"], y=frame["clinic_no_show_rate"], mode="lines", line={"color": GREY, "width": 2, "dash": "dash"},
        name="Clinic no-show rate", showlegend=False,
        hovertemplate="Week of %{x|%Y-%m-%d}<br>Clinic no-show %{y:.1%}<extra></extra>", **panel(2)))
    return Overlay(fig).line(srs_cutoff, axis="y", line={"color": GREY, "dash": "dot"}, row=1,
                             text=f"cutoff {srs_cutoff:g}", position="bottom right").draw(font_size=FONT_SIZE + 1)
