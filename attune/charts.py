"""Plotly figure builders: DataFrame in, Figure out. No Streamlit here.

Okabe-Ito colours (colour-blind safe); red/amber kept for flags only. Fonts sized for a projector.
"""

from __future__ import annotations

import plotly.graph_objects as go
import polars as pl
from plotly.subplots import make_subplots

BLUE, ORANGE, GREEN, SKY, VERMILION, PURPLE, YELLOW, GREY = (
    "#0072B2", "#E69F00", "#009E73", "#56B4E9", "#D55E00", "#CC79A7", "#F0E442", "#7F7F7F")
PALETTE = [BLUE, ORANGE, GREEN, SKY, PURPLE, YELLOW, GREY]
FLAG = VERMILION
FONT_SIZE = 15


def base_layout(fig: go.Figure, height: int = 420, title: str | None = None) -> go.Figure:
    fig.update_layout(
        height=height,
        template="plotly_white",
        font={"size": FONT_SIZE},
        title={"text": title, "font": {"size": FONT_SIZE + 3}} if title else None,
        margin={"l": 60, "r": 30, "t": 60 if title else 30, "b": 50},
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.02, "xanchor": "left", "x": 0},
        hoverlabel={"font_size": FONT_SIZE - 1},
        colorway=PALETTE,
    )
    return fig


def weekly_trend(frame: pl.DataFrame, srs_cutoff: float = 36.0) -> go.Figure:
    """Two stacked panels sharing the week axis: mean SRS with its 95% interval, and no-show rate."""
    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, vertical_spacing=0.12,
                        subplot_titles=("Mean SRS per week (95% interval)", "No-show rate per week"))
    weeks = frame["week"].to_list()
    rated = frame.filter(pl.col("rated") > 0)
    fig.add_trace(go.Scatter(
        x=rated["week"].to_list() + rated["week"].to_list()[::-1],
        y=rated["srs_high"].to_list() + rated["srs_low"].to_list()[::-1],
        fill="toself", fillcolor="rgba(0,114,178,0.15)", line={"width": 0}, hoverinfo="skip",
        name="95% interval", showlegend=False), row=1, col=1)
    fig.add_trace(go.Scatter(
        x=rated["week"], y=rated["mean_srs"], mode="lines+markers", line={"color": BLUE, "width": 3},
        name="Mean SRS", customdata=rated["rated"],
        hovertemplate="Week of %{x|%Y-%m-%d}<br>Mean SRS %{y:.1f} over %{customdata} ratings<extra></extra>"),
        row=1, col=1)
    fig.add_hline(y=srs_cutoff, line={"color": GREY, "dash": "dash"}, row=1, col=1,
                  annotation_text=f"cutoff {srs_cutoff:g}", annotation_position="bottom right")
    fig.add_trace(go.Scatter(
        x=weeks, y=frame["no_show_rate"], mode="lines+markers", line={"color": ORANGE, "width": 3},
        name="No-show rate", customdata=frame.select("no_show", "no_show_denominator").to_numpy(),
        hovertemplate="Week of %{x|%Y-%m-%d}<br>No-show %{y:.1%} (%{customdata[0]} of %{customdata[1]})"
                      "<extra></extra>"), row=2, col=1)
    fig.update_yaxes(title_text="SRS total", row=1, col=1)
    fig.update_yaxes(title_text="No-show", tickformat=".0%", rangemode="tozero", row=2, col=1)
    fig.update_xaxes(tickformat="%d %b<br>%Y", row=2, col=1)
    base_layout(fig, height=560)
    fig.update_layout(showlegend=False)
    fig.update_annotations(font_size=FONT_SIZE + 1)
    return fig


def therapist_srs(frame: pl.DataFrame, clinic_mean: float | None, srs_cutoff: float = 36.0,
                  min_caseload: int = 15) -> go.Figure:
    """Each therapist's mean SRS with its 95% interval (client-clustered), lowest first, the clinic mean dashed.

    Expects columns therapist_name, mean_srs, low, high, clients, rated. Hollow dots: fewer than `min_caseload`
    clients, too few for a comparison to mean much.
    """
    ordered = frame.sort("mean_srs", descending=True)
    small = ordered["clients"] < min_caseload
    fig = go.Figure(go.Scatter(
        x=ordered["mean_srs"], y=ordered["therapist_name"], mode="markers",
        marker={"color": BLUE, "size": 11, "symbol": ["circle-open" if s else "circle" for s in small.to_list()],
                "line": {"width": 2, "color": BLUE}},
        error_x={"type": "data", "symmetric": False, "color": BLUE, "thickness": 2,
                 "array": (ordered["high"] - ordered["mean_srs"]).fill_null(0).to_list(),
                 "arrayminus": (ordered["mean_srs"] - ordered["low"]).fill_null(0).to_list()},
        customdata=ordered.select("clients", "rated").to_numpy(),
        hovertemplate="%{y}<br>Mean SRS %{x:.1f}<br>%{customdata[0]} clients, %{customdata[1]} ratings"
                      "<extra></extra>"))
    if clinic_mean is not None:
        fig.add_vline(x=clinic_mean, line={"color": GREY, "dash": "dash"}, annotation_text=f"all {clinic_mean:.1f}",
                      annotation_position="top right")
    fig.add_vline(x=srs_cutoff, line={"color": GREY, "dash": "dot"}, annotation_text=f"cutoff {srs_cutoff:g}",
                  annotation_position="top left")
    fig.update_xaxes(title_text="Mean SRS total (95% interval)")
    base_layout(fig, height=max(260, 34 * ordered.height + 110))
    fig.update_layout(showlegend=False)
    return fig
