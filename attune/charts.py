"""Plotly figure builders: DataFrame in, Figure out. No Streamlit here.

Okabe-Ito colours (colour-blind safe); red/amber kept for flags only. Fonts sized for a projector.
"""

from __future__ import annotations

from datetime import date, timedelta

import plotly.graph_objects as go
import plotly.io as pio
import polars as pl
from plotly.subplots import make_subplots

BLUE, ORANGE, GREEN, SKY, VERMILION, PURPLE, YELLOW, GREY = (
    "#0072B2", "#E69F00", "#009E73", "#56B4E9", "#D55E00", "#CC79A7", "#F0E442", "#7F7F7F")
PALETTE = [BLUE, ORANGE, GREEN, SKY, PURPLE, YELLOW, GREY]
FLAG = VERMILION
FONT_SIZE = 15

# Every figure starts from the default template without validating it again; a template named in each
# figure's layout is validated on every call (about 30 ms a figure, most of a small chart's build time).
# Importing streamlit sets its own default, so base_layout names the template when that happened later.
TEMPLATE = "plotly_white"
pio.templates.default = TEMPLATE


def base_layout(fig: go.Figure, height: int = 420, title: str | None = None) -> go.Figure:
    if pio.templates.default != TEMPLATE:
        fig.update_layout(template=TEMPLATE)
    fig.update_layout(
        height=height,
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


SRS_ITEMS = {"srs_relationship": ("Relationship", BLUE), "srs_goals": ("Goals and topics", SKY),
             "srs_approach": ("Approach or method", GREEN), "srs_overall": ("Overall", PURPLE)}
ATTENDANCE = {  # status: (label, marker symbol, colour); misses in black, not in the flag colour
    "attended": ("Attended", "circle", GREEN),
    "no_show": ("No-show", "x", "#000000"),
    "late_cancel": ("Late cancellation", "x-open", "#000000"),
    "cancelled": ("Cancelled in time", "circle-open", GREY),
    "clinician_cancel": ("Cancelled by clinician", "diamond-open", SKY),
}


def client_timeline(sessions: pl.DataFrame, switches: pl.DataFrame, srs_cutoff: float = 36.0,
                    item_cutoff: float = 8.0, ors_cutoff: float = 25.0, as_of: date | None = None,
                    ruptures: pl.DataFrame | None = None) -> go.Figure:
    """One client's history on one time axis: SRS total and ORS, the four SRS items, attendance.

    `sessions` has occurred_at, therapist_name, status, srs_* items, srs_total, ors_total, comment (the
    attention_client_sessions query); `switches` has requested_at, from_name, reason, status. SRS totals below
    the cutoff are marked in the flag colour; requests to change therapist are dotted vertical lines. The time
    axis runs to `as_of`, so a silence since the last session shows as empty space. `ruptures` (optional, from
    attune.ruptures.for_client) marks each rupture with a downward triangle — in the flag colour while it is not
    repaired — and each repair with an upward green triangle joined to its rupture.
    """
    fig = make_subplots(rows=3, cols=1, shared_xaxes=True, vertical_spacing=0.08, row_heights=[0.5, 0.3, 0.2],
                        subplot_titles=("SRS total and ORS (0–40)", "SRS items (0–10)", "Attendance"))
    rated = sessions.filter(pl.col("srs_total").is_not_null())
    hover = "%{x|%Y-%m-%d}<br>%{customdata[0]}<br>SRS %{y:.1f}<br>%{customdata[1]}<extra></extra>"
    comment = pl.col("comment").fill_null("") if "comment" in rated.columns else pl.lit("")
    custom = rated.select("therapist_name", comment).to_numpy()
    fig.add_trace(go.Scatter(
        x=rated["occurred_at"], y=rated["srs_total"], mode="lines+markers", name="SRS total",
        line={"color": BLUE, "width": 3}, marker={"size": 9, "color": [
            FLAG if v < srs_cutoff else BLUE for v in rated["srs_total"]]},
        customdata=custom, hovertemplate=hover), row=1, col=1)
    ors = sessions.filter(pl.col("ors_total").is_not_null())
    if ors.height:
        fig.add_trace(go.Scatter(
            x=ors["occurred_at"], y=ors["ors_total"], mode="lines+markers", name="ORS total",
            line={"color": GREEN, "width": 2, "dash": "dot"}, marker={"size": 7, "symbol": "square"},
            hovertemplate="%{x|%Y-%m-%d}<br>ORS %{y:.1f}<extra></extra>"), row=1, col=1)
        fig.add_hline(y=ors_cutoff, line={"color": GREEN, "dash": "dot", "width": 1}, row=1, col=1,
                      annotation_text=f"ORS clinical cutoff {ors_cutoff:g}", annotation_position="bottom left")
    fig.add_hline(y=srs_cutoff, line={"color": GREY, "dash": "dash"}, row=1, col=1,
                  annotation_text=f"SRS cutoff {srs_cutoff:g}", annotation_position="bottom right")
    for column, (name, colour) in SRS_ITEMS.items():
        fig.add_trace(go.Scatter(
            x=rated["occurred_at"], y=rated[column], mode="lines+markers", name=name,
            line={"color": colour, "width": 2}, marker={"size": 6},
            hovertemplate=f"%{{x|%Y-%m-%d}}<br>{name} %{{y:.1f}}<extra></extra>"), row=2, col=1)
    fig.add_hline(y=item_cutoff, line={"color": GREY, "dash": "dash"}, row=2, col=1,
                  annotation_text=f"item cutoff {item_cutoff:g}", annotation_position="bottom right")
    booked = sessions.filter(pl.col("status").is_not_null())
    for status, (name, symbol, colour) in ATTENDANCE.items():
        part = booked.filter(pl.col("status") == status)
        if part.height:
            fig.add_trace(go.Scatter(
                x=part["occurred_at"], y=[name] * part.height, mode="markers", name=name, showlegend=False,
                marker={"symbol": symbol, "size": 12, "color": colour, "line": {"width": 2, "color": colour}},
                customdata=part["therapist_name"],
                hovertemplate=f"%{{x|%Y-%m-%d %H:%M}}<br>{name}<br>%{{customdata}}<extra></extra>"), row=3, col=1)
    if ruptures is not None and ruptures.height:
        _mark_ruptures(fig, ruptures)
    for request in switches.iter_rows(named=True):
        fig.add_vline(x=request["requested_at"], line={"color": PURPLE, "dash": "dot", "width": 2})
        fig.add_annotation(x=request["requested_at"], y=1.0, yref="paper", text="asked to change therapist",
                           showarrow=False, xanchor="right", yanchor="bottom", font={"color": PURPLE})
    low = min([v for v in rated["srs_total"].to_list() + ors["ors_total"].to_list() if v is not None],
              default=srs_cutoff)
    fig.update_yaxes(title_text="Score", range=[max(0, min(low, ors_cutoff if ors.height else srs_cutoff) - 3), 41],
                     row=1, col=1)
    fig.update_yaxes(title_text="Item", range=[max(0, min([item_cutoff, *[
        v for c in SRS_ITEMS for v in rated[c].to_list() if v is not None]]) - 1), 10.5], row=2, col=1)
    fig.update_yaxes(categoryorder="array", categoryarray=[v[0] for v in ATTENDANCE.values()][::-1], row=3, col=1)
    fig.update_xaxes(tickformat="%d %b<br>%Y", row=3, col=1)
    if as_of is not None and sessions.height:
        first = min([sessions["occurred_at"].min().date(), *switches["requested_at"].to_list()])
        fig.update_xaxes(range=[first - timedelta(days=4), as_of + timedelta(days=4)])
    base_layout(fig, height=700)
    fig.update_layout(margin={"t": 110}, legend={"y": 1.08})
    fig.update_annotations(font_size=FONT_SIZE)
    return fig


def _mark_ruptures(fig: go.Figure, ruptures: pl.DataFrame) -> None:
    """Rupture and repair markers on the SRS panel of the client timeline."""
    for repaired, name, colour in ((False, "Rupture, not repaired", FLAG), (True, "Rupture, repaired", "#000000")):
        part = ruptures.filter((pl.col("status") == "repaired") == repaired)
        if not part.height:
            continue
        state = part["status"].replace_strict({"repaired": "repaired", "unrepaired": "not repaired",
                                               "open": "not yet repaired"})
        fig.add_trace(go.Scatter(
            x=part["rupture_at"], y=part["rupture_srs"], mode="markers", name=name,
            marker={"symbol": "triangle-down", "size": 18, "color": colour, "line": {"width": 1, "color": "white"}},
            customdata=pl.DataFrame([part["therapist_name"], part["before_srs"], state]).to_numpy(),
            hovertemplate="Rupture %{x|%Y-%m-%d}<br>%{customdata[0]}<br>SRS %{customdata[1]:.1f} → %{y:.1f}<br>"
                          "%{customdata[2]}<extra></extra>"), row=1, col=1)
        for r in part.iter_rows(named=True):
            text = "rupture" if repaired else f"rupture, {'not yet' if r['status'] == 'open' else 'not'} repaired"
            fig.add_annotation(x=r["rupture_at"], y=r["rupture_srs"], xref="x", yref="y", text=text,
                               showarrow=True, arrowhead=0, ax=0, ay=34, font={"color": colour})
    repairs = ruptures.filter(pl.col("status") == "repaired")
    for r in repairs.iter_rows(named=True):
        fig.add_trace(go.Scatter(x=[r["rupture_at"], r["repair_at"]], y=[r["rupture_srs"], r["repair_srs"]],
                                 mode="lines", line={"color": GREEN, "width": 2, "dash": "dot"}, showlegend=False,
                                 hoverinfo="skip"), row=1, col=1)
    if repairs.height:
        fig.add_trace(go.Scatter(
            x=repairs["repair_at"], y=repairs["repair_srs"], mode="markers", name="Repair",
            marker={"symbol": "triangle-up", "size": 18, "color": GREEN, "line": {"width": 1, "color": "white"}},
            customdata=repairs["sessions_to_repair"],
            hovertemplate="Repaired %{x|%Y-%m-%d}<br>SRS %{y:.1f}, %{customdata} rated session(s) after the rupture"
                          "<extra></extra>"), row=1, col=1)
        for r in repairs.iter_rows(named=True):
            fig.add_annotation(x=r["repair_at"], y=r["repair_srs"], xref="x", yref="y", text="repaired",
                               showarrow=True, arrowhead=0, ax=0, ay=-30, font={"color": GREEN})


def repair_by_therapist(frame: pl.DataFrame, clinic_share: float | None, min_caseload: int = 15) -> go.Figure:
    """Each therapist's share of ruptures repaired with its 95% Wilson interval, the clinic's share dashed.

    Expects therapist_id, therapist_name, share_repaired, low, high, repaired, resolved, clients
    (attune.ruptures.by_therapist); therapists without a resolved rupture are left out. Hollow dots: fewer than
    `min_caseload` clients. Rows are labelled "Name (ID)": two therapists may share a name.
    """
    # Plotly draws the first row at the bottom: small caseloads there, the rest by share, the highest on top.
    shown = frame.filter(pl.col("resolved") > 0).with_columns(_small=pl.col("clients") < min_caseload).sort(
        ["_small", "share_repaired"], descending=[True, False])
    small = shown["_small"].to_list()
    fig = go.Figure(go.Scatter(
        x=shown["share_repaired"], y=shown.select(pl.format("{} ({})", "therapist_name", "therapist_id")).to_series(),
        mode="markers",
        marker={"color": GREEN, "size": 12, "symbol": ["circle-open" if s else "circle" for s in small],
                "line": {"width": 2, "color": GREEN}},
        error_x={"type": "data", "symmetric": False, "color": GREEN, "thickness": 2,
                 "array": (shown["high"] - shown["share_repaired"]).to_list(),
                 "arrayminus": (shown["share_repaired"] - shown["low"]).to_list()},
        customdata=shown.select("repaired", "resolved", "clients").to_numpy(),
        hovertemplate="%{y}<br>%{x:.0%} repaired (%{customdata[0]} of %{customdata[1]})<br>"
                      "%{customdata[2]} clients rated<extra></extra>"))
    if clinic_share is not None:
        fig.add_vline(x=clinic_share, line={"color": GREY, "dash": "dash"},
                      annotation_text=f"clinic {clinic_share:.0%}", annotation_position="top right")
    fig.update_xaxes(title_text="Share of ruptures repaired (95% interval)", tickformat=".0%", range=[-0.02, 1.02])
    base_layout(fig, height=max(260, 34 * shown.height + 110))
    fig.update_layout(showlegend=False)
    return fig


def repair_rate(frame: pl.DataFrame) -> go.Figure:
    """Clinic-wide share of ruptures repaired per period with its 95% interval (attune.ruptures.over_time)."""
    shown = frame.filter(pl.col("resolved") > 0)
    fig = go.Figure()
    fig.add_trace(go.Scatter(
        x=shown["period_start"].to_list() + shown["period_start"].to_list()[::-1],
        y=shown["high"].to_list() + shown["low"].to_list()[::-1], fill="toself", fillcolor="rgba(0,158,115,0.15)",
        line={"width": 0}, hoverinfo="skip", showlegend=False))
    fig.add_trace(go.Scatter(
        x=shown["period_start"], y=shown["share_repaired"], mode="lines+markers", line={"color": GREEN, "width": 3},
        name="Share repaired", customdata=shown.select("repaired", "resolved", "open").to_numpy(),
        hovertemplate="%{x|%Y-%m-%d}<br>%{y:.0%} repaired (%{customdata[0]} of %{customdata[1]} ruptures with an "
                      "outcome)<br>%{customdata[2]} still open<extra></extra>"))
    fig.update_yaxes(title_text="Repaired", tickformat=".0%", range=[0, 1.02])
    fig.update_xaxes(tickformat="%d %b<br>%Y")
    base_layout(fig, height=320)
    fig.update_layout(showlegend=False)
    return fig


def theme_counts(frame: pl.DataFrame, themes: list[str]) -> go.Figure:
    """Comments per theme per period as stacked bars (attune.themes.over_time: period_start, theme, comments).

    `themes` fixes the order and so the colour of each theme, whatever the filters leave.
    """
    fig = go.Figure()
    for i, theme in enumerate(themes):
        part = frame.filter(pl.col("theme") == theme)
        if not part.height:
            continue
        fig.add_trace(go.Bar(x=part["period_start"], y=part["comments"], name=theme,
                             marker_color=PALETTE[i % len(PALETTE)],
                             hovertemplate=f"%{{x|%b %Y}}<br>{theme}: %{{y}} comments<extra></extra>"))
    fig.update_layout(barmode="stack", legend_traceorder="normal")
    fig.update_yaxes(title_text="Comments")
    fig.update_xaxes(tickformat="%b<br>%Y", dtick="M1")
    base_layout(fig, height=380)
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
