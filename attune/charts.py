"""Plotly figure builders: DataFrame in, Figure out. No Streamlit here.

Okabe-Ito colours (colour-blind safe); red/amber kept for flags only. Fonts sized for a projector.
"""

from __future__ import annotations

import calendar
import copy
import functools
from datetime import date, timedelta

import numpy as np
import plotly.graph_objects as go
import plotly.io as pio
import polars as pl
from plotly.subplots import make_subplots

from attune.contract import SESSION_STATUS_LABELS
from attune.formatting import counted, therapist_label

BLUE, ORANGE, GREEN, SKY, VERMILION, PURPLE, YELLOW, GREY = (
    "#0072B2", "#E69F00", "#009E73", "#56B4E9", "#D55E00", "#CC79A7", "#F0E442", "#7F7F7F")
PALETTE = [BLUE, ORANGE, GREEN, SKY, PURPLE, YELLOW, GREY]
FLAG = VERMILION
FONT_SIZE = 15

# Every figure starts from the default template without validating it again; a template named in each
# figure's layout is validated on every call (about 30 ms a figure, most of a small chart's build time).
# Importing streamlit sets its own default, so house_layout names the template when that happened later.
TEMPLATE = "plotly_white"
pio.templates.default = TEMPLATE

# Building a figure is mostly Plotly checking what it is given, so the builders give it each thing once:
# - the layout when the figure is made (new_figure, stacked_figure): every update_layout / update_xaxes call
#   checks each property path it set again when it ends (about 7 ms for the house layout alone);
# - data as Series or numpy arrays (customdata with mixed columns as an object array): Plotly copies an array
#   but checks a Python list element by element;
# - traces as plain dicts (scatter(...)), checked once when added, where a go.Scatter is checked twice;
# - reference lines and annotations through Overlay rather than add_hline / add_vline / add_annotation.


def house_layout(height: int = 420, title: str | None = None) -> dict:
    """The layout every chart shares: projector-sized fonts, the legend above the plot, the palette."""
    layout = {
        "height": height,
        "font": {"size": FONT_SIZE},
        "margin": {"l": 60, "r": 30, "t": 60 if title else 30, "b": 50},
        "legend": {"orientation": "h", "yanchor": "bottom", "y": 1.02, "xanchor": "left", "x": 0},
        "hoverlabel": {"font": {"size": FONT_SIZE - 1}},
        "colorway": PALETTE,
    }
    if title:
        layout["title"] = {"text": title, "font": {"size": FONT_SIZE + 3}}
    if pio.templates.default != TEMPLATE:
        layout["template"] = TEMPLATE
    return layout


def _merged(base: dict, extra: dict) -> dict:
    """`base` updated with `extra`, nested dicts merged as update_layout merges them."""
    merged = dict(base)
    for key, value in extra.items():
        nested = isinstance(value, dict) and isinstance(merged.get(key), dict)
        merged[key] = _merged(merged[key], value) if nested else value
    return merged


def new_figure(data=None, *, height: int = 420, title: str | None = None, **layout) -> go.Figure:
    """A figure with the house layout and `layout` merged into it (margin={"t": 110} keeps the other margins)."""
    return go.Figure(data, layout=_merged(house_layout(height, title), layout))


@functools.lru_cache(maxsize=16)
def _stack(rows: int, spacing: float, row_heights: tuple[float, ...] | None) -> dict:
    """make_subplots' layout for `rows` panels over one shared x axis: the axes and the places of the panel
    titles (texts "1", "2", ...), without the template. Made once per shape: make_subplots costs about 15 ms a
    figure, most of it Plotly checking each axis property it sets."""
    fig = make_subplots(rows=rows, cols=1, shared_xaxes=True, vertical_spacing=spacing,
                        row_heights=list(row_heights) if row_heights else None,
                        subplot_titles=[str(row) for row in range(1, rows + 1)])
    layout = fig.layout.to_plotly_json()
    layout.pop("template", None)
    return layout


def stacked_figure(titles: tuple[str, ...], *, spacing: float, row_heights: tuple[float, ...] | None = None,
                   height: int = 420, title: str | None = None, **layout) -> go.Figure:
    """make_subplots(rows=len(titles), cols=1, shared_xaxes=True, vertical_spacing=spacing, row_heights=...,
    subplot_titles=titles), with the house layout and `layout` merged in (yaxis2={...} for the second panel).

    The figure has no subplot grid: place each trace with **panel(row) instead of add_trace(row=, col=).
    """
    skeleton = copy.deepcopy(_stack(len(titles), spacing, row_heights))
    skeleton["annotations"] = [{**note, "text": text} for note, text in zip(skeleton["annotations"], titles,
                                                                             strict=True)]
    return new_figure(height=height, title=title, **_merged(skeleton, layout))


def scatter(**props) -> dict:
    """A scatter trace as a plain dict, for add_trace or new_figure: Plotly checks it once, when it is added (a
    go.Scatter is checked when it is made and again when it is added)."""
    return {"type": "scatter", **props}


def band(x, y, fillcolor: str, **props) -> dict:
    """A shaded interval: the closed outline (upper edge, then the lower edge reversed) filled, with no line and
    no markers. Plotly draws markers on a trace of fewer than 20 points unless told otherwise, which put loose
    dots along the edges of a short period's band."""
    return scatter(x=x, y=y, mode="lines", fill="toself", fillcolor=fillcolor, line={"width": 0},
                   hoverinfo="skip", showlegend=False, **props)


def bar(**props) -> dict:
    """A bar trace as a plain dict (see scatter)."""
    return {"type": "bar", **props}


def panel(row: int) -> dict[str, str]:
    """The axes of panel `row` of a one-column stack (stacked_figure, make_subplots(cols=1)): for a trace."""
    suffix = "" if row == 1 else str(row)
    return {"xaxis": f"x{suffix}", "yaxis": f"y{suffix}"}


# Where fig.add_vline (x) / fig.add_hline (y) put a label for each annotation_position: (the label's place along
# the line, as a fraction of the plot, xanchor, yanchor).
_LABEL_AT = {
    "x": {"top left": (1, "right", "top"), "top right": (1, "left", "top"), "top": (1, "center", "bottom"),
          "bottom left": (0, "right", "bottom"), "bottom right": (0, "left", "bottom"), "bottom": (0, "center", "top"),
          "left": (0.5, "right", "middle"), "right": (0.5, "left", "middle")},
    "y": {"top left": (0, "left", "bottom"), "top right": (1, "right", "bottom"), "top": (0.5, "center", "bottom"),
          "bottom left": (0, "left", "top"), "bottom right": (1, "right", "top"), "bottom": (0.5, "center", "top"),
          "left": (0, "right", "middle"), "right": (1, "left", "middle")},
}


class Overlay:
    """Shapes and annotations for one figure, collected as plain dicts and set in one assignment each by draw.

    Plotly checks every shape and annotation already in a figure again on each add_shape / add_annotation,
    and add_hline / add_vline go through its axis-spanning-shape machinery besides (5-10 ms a line).
    """

    def __init__(self, fig: go.Figure) -> None:
        self.fig = fig
        self.shapes: list[dict] = []
        self.annotations: list[dict] = []

    def line(self, value, *, axis: str = "x", line: dict, text: str | None = None, position: str = "top right",
             row: int | None = None) -> Overlay:
        """The line (and label) fig.add_vline(x=value) (axis="x") or fig.add_hline(y=value) (axis="y") would add
        with annotation_text=text, annotation_position=position, and row=row, col=1 in a one-column stack."""
        axes = panel(row or 1)
        xref, yref = axes["xaxis"], axes["yaxis"]
        if axis == "x":
            shape = {"type": "line", "x0": value, "x1": value, "xref": xref, "y0": 0, "y1": 1, "yref": f"{yref} domain"}
        else:
            shape = {"type": "line", "x0": 0, "x1": 1, "xref": f"{xref} domain", "y0": value, "y1": value, "yref": yref}
        self.shapes.append({**shape, "line": line})
        if text is not None:
            along, xanchor, yanchor = _LABEL_AT[axis][position]
            x, y = (value, along) if axis == "x" else (along, value)
            self.annotations.append({"showarrow": False, "text": text, "x": x, "xanchor": xanchor,
                                     "xref": shape["xref"], "y": y, "yanchor": yanchor, "yref": shape["yref"]})
        return self

    def note(self, **annotation) -> Overlay:
        """An annotation, as fig.add_annotation(**annotation) would add it."""
        self.annotations.append(annotation)
        return self

    def draw(self, font_size: int | None = None) -> go.Figure:
        """Add everything collected after the figure's own shapes and annotations (the panel titles); with
        `font_size`, every annotation's font takes that size, the titles' too (as fig.update_annotations)."""
        layout = self.fig.layout
        if self.shapes:
            layout.shapes = (*layout.shapes, *self.shapes)
        if font_size is not None:
            notes = [note.to_plotly_json() for note in layout.annotations] + self.annotations
            layout.annotations = [{**note, "font": {**note.get("font", {}), "size": font_size}} for note in notes]
        elif self.annotations:
            layout.annotations = (*layout.annotations, *self.annotations)
        return self.fig


def reference_line(fig: go.Figure, value, *, axis: str = "x", line: dict, text: str | None = None,
                   position: str = "top right", row: int | None = None) -> go.Figure:
    """fig.add_vline(x=value) (axis="x") or fig.add_hline(y=value) (axis="y"), with annotation_text=text and
    annotation_position=position: the same shape and label in a tenth to a fifth of the time. `row` picks the panel
    of a one-column stack (add_vline's default there, a line in every panel, is one call per row)."""
    return Overlay(fig).line(value, axis=axis, line=line, text=text, position=position, row=row).draw()


def weekly_trend(frame: pl.DataFrame, srs_cutoff: float = 36.0) -> go.Figure:
    """Two stacked panels sharing the week axis: mean SRS with its 95% interval, and no-show rate."""
    fig = stacked_figure(("Mean SRS per week (95% interval)", "No-show rate per week"), spacing=0.12, height=560,
                         showlegend=False, yaxis={"title": {"text": "SRS total"}},
                         yaxis2={"title": {"text": "No-show"}, "tickformat": ".0%", "rangemode": "tozero"},
                         xaxis2={"tickformat": "%d %b<br>%Y"})
    rated = frame.filter(pl.col("rated") > 0)
    fig.add_trace(band(
        pl.concat([rated["week"], rated["week"].reverse()]),
        pl.concat([rated["srs_high"], rated["srs_low"].reverse()]), "rgba(0,114,178,0.15)",
        name="95% interval", **panel(1)))
    fig.add_trace(scatter(
        x=rated["week"], y=rated["mean_srs"], mode="lines+markers", line={"color": BLUE, "width": 3},
        name="Mean SRS", customdata=rated["rated"],
        hovertemplate="Week of %{x|%Y-%m-%d}<br>Mean SRS %{y:.1f} over %{customdata} ratings<extra></extra>",
        **panel(1)))
    fig.add_trace(scatter(
        x=frame["week"], y=frame["no_show_rate"], mode="lines+markers", line={"color": ORANGE, "width": 3},
        name="No-show rate", customdata=frame.select("no_show", "no_show_denominator").to_numpy(),
        hovertemplate="Week of %{x|%Y-%m-%d}<br>No-show %{y:.1%} (%{customdata[0]:,} of %{customdata[1]:,})"
                      "<extra></extra>", **panel(2)))
    return Overlay(fig).line(srs_cutoff, axis="y", line={"color": GREY, "dash": "dash"}, row=1,
                             text=f"cutoff {srs_cutoff:g}", position="bottom right").draw(font_size=FONT_SIZE + 1)


SRS_ITEMS = {"srs_relationship": ("Relationship", BLUE), "srs_goals": ("Goals and topics", SKY),
             "srs_approach": ("Approach or method", GREEN), "srs_overall": ("Overall", PURPLE)}
ATTENDANCE = {  # status: (label, marker symbol, colour); misses in black, not in the flag colour
    status: (SESSION_STATUS_LABELS[status], symbol, colour) for status, symbol, colour in (
        ("attended", "circle", GREEN), ("no_show", "x", "#000000"), ("late_cancel", "x-open", "#000000"),
        ("cancelled", "circle-open", GREY), ("clinician_cancel", "diamond-open", SKY))
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
    rated = sessions.filter(pl.col("srs_total").is_not_null())
    ors = sessions.filter(pl.col("ors_total").is_not_null())
    booked = sessions.filter(pl.col("status").is_not_null())
    low = min([v for v in rated["srs_total"].to_list() + ors["ors_total"].to_list() if v is not None],
              default=srs_cutoff)
    lowest_item = min([item_cutoff, *[v for c in SRS_ITEMS for v in rated[c].to_list() if v is not None]])
    axes = {"yaxis": {"title": {"text": "Score"},
                      "range": [max(0, min(low, ors_cutoff if ors.height else srs_cutoff) - 3), 41]},
            "yaxis2": {"title": {"text": "Item"}, "range": [max(0, lowest_item - 1), 10.5]},
            "yaxis3": {"categoryorder": "array", "categoryarray": [v[0] for v in ATTENDANCE.values()][::-1]},
            "xaxis3": {"tickformat": "%d %b<br>%Y"}}
    if as_of is not None and sessions.height:
        first = min([sessions["occurred_at"].min().date(), *switches["requested_at"].to_list()])
        shown = [first - timedelta(days=4), as_of + timedelta(days=4)]
        axes = _merged(axes, {"xaxis": {"range": shown}, "xaxis2": {"range": shown}, "xaxis3": {"range": shown}})
    fig = stacked_figure(("SRS total and ORS (0–40)", "SRS items (0–10)", "Attendance"), spacing=0.08,
                         row_heights=(0.5, 0.3, 0.2), height=700, margin={"t": 110}, legend={"y": 1.08}, **axes)
    overlay = Overlay(fig)
    hover = "%{x|%Y-%m-%d}<br>%{customdata[0]}<br>SRS %{y:.1f}<br>%{customdata[1]}<extra></extra>"
    comment = pl.col("comment").fill_null("") if "comment" in rated.columns else pl.lit("")
    custom = rated.select("therapist_name", comment).to_numpy()
    fig.add_trace(scatter(
        x=rated["occurred_at"], y=rated["srs_total"], mode="lines+markers", name="SRS total",
        line={"color": BLUE, "width": 3}, marker={"size": 9, "color": [
            FLAG if v < srs_cutoff else BLUE for v in rated["srs_total"]]},
        customdata=custom, hovertemplate=hover, **panel(1)))
    if ors.height:
        fig.add_trace(scatter(
            x=ors["occurred_at"], y=ors["ors_total"], mode="lines+markers", name="ORS total",
            line={"color": GREEN, "width": 2, "dash": "dot"}, marker={"size": 7, "symbol": "square"},
            hovertemplate="%{x|%Y-%m-%d}<br>ORS %{y:.1f}<extra></extra>", **panel(1)))
        overlay.line(ors_cutoff, axis="y", line={"color": GREEN, "dash": "dot", "width": 1}, row=1,
                     text=f"ORS clinical cutoff {ors_cutoff:g}", position="bottom left")
    overlay.line(srs_cutoff, axis="y", line={"color": GREY, "dash": "dash"}, row=1,
                 text=f"SRS cutoff {srs_cutoff:g}", position="bottom right")
    for column, (name, colour) in SRS_ITEMS.items():
        fig.add_trace(scatter(
            x=rated["occurred_at"], y=rated[column], mode="lines+markers", name=name,
            line={"color": colour, "width": 2}, marker={"size": 6},
            hovertemplate=f"%{{x|%Y-%m-%d}}<br>{name} %{{y:.1f}}<extra></extra>", **panel(2)))
    overlay.line(item_cutoff, axis="y", line={"color": GREY, "dash": "dash"}, row=2,
                 text=f"item cutoff {item_cutoff:g}", position="bottom right")
    empty = {1: "No SRS or ORS ratings yet" if not (rated.height or ors.height) else None,
             2: "No SRS ratings yet" if not rated.height else None}
    for row, text in empty.items():  # said in the empty panel, not left as a blank grid
        if text:
            suffix = "" if row == 1 else str(row)
            overlay.note(x=0.5, y=0.5, xref=f"x{suffix} domain", yref=f"y{suffix} domain", text=text,
                         showarrow=False, font={"color": GREY, "size": FONT_SIZE + 2})
    panels = [1, 2]  # add_vline draws in each panel with something in it
    for status, (name, symbol, colour) in ATTENDANCE.items():
        part = booked.filter(pl.col("status") == status)
        if part.height:
            panels = [1, 2, 3]
            fig.add_trace(scatter(
                x=part["occurred_at"], y=np.full(part.height, name, dtype=object), mode="markers", name=name,
                showlegend=False,
                marker={"symbol": symbol, "size": 12, "color": colour, "line": {"width": 2, "color": colour}},
                customdata=part["therapist_name"],
                hovertemplate=f"%{{x|%Y-%m-%d %H:%M}}<br>{name}<br>%{{customdata}}<extra></extra>", **panel(3)))
    if ruptures is not None and ruptures.height:
        _mark_ruptures(fig, overlay, ruptures)
    for requested in switches["requested_at"]:
        for row in panels:
            overlay.line(requested, axis="x", line={"color": PURPLE, "dash": "dot", "width": 2}, row=row)
        overlay.note(x=requested, y=1.0, yref="paper", text="asked to change therapist", showarrow=False,
                     xanchor="right", yanchor="bottom", font={"color": PURPLE})
    return overlay.draw(font_size=FONT_SIZE)


def _mark_ruptures(fig: go.Figure, overlay: Overlay, ruptures: pl.DataFrame) -> None:
    """Rupture and repair markers on the SRS panel of the client timeline."""
    for repaired, name, colour in ((False, "Rupture, not repaired", FLAG), (True, "Rupture, repaired", "#000000")):
        part = ruptures.filter((pl.col("status") == "repaired") == repaired)
        if not part.height:
            continue
        state = part["status"].replace_strict({"repaired": "repaired", "unrepaired": "not repaired",
                                               "open": "not yet repaired"})
        fig.add_trace(scatter(
            x=part["rupture_at"], y=part["rupture_srs"], mode="markers", name=name,
            marker={"symbol": "triangle-down", "size": 18, "color": colour, "line": {"width": 1, "color": "white"}},
            customdata=pl.DataFrame([part["therapist_name"], part["before_srs"], state]).to_numpy(),
            hovertemplate="Rupture %{x|%Y-%m-%d}<br>%{customdata[0]}<br>SRS %{customdata[1]:.1f} → %{y:.1f}<br>"
                          "%{customdata[2]}<extra></extra>", **panel(1)))
        for r in part.iter_rows(named=True):
            text = "rupture" if repaired else f"rupture, {'not yet' if r['status'] == 'open' else 'not'} repaired"
            overlay.note(x=r["rupture_at"], y=r["rupture_srs"], xref="x", yref="y", text=text, showarrow=True,
                         arrowhead=0, ax=0, ay=34, font={"color": colour})
    repairs = ruptures.filter(pl.col("status") == "repaired")
    for r in repairs.iter_rows(named=True):
        fig.add_trace(scatter(x=[r["rupture_at"], r["repair_at"]], y=[r["rupture_srs"], r["repair_srs"]],
                              mode="lines", line={"color": GREEN, "width": 2, "dash": "dot"}, showlegend=False,
                              hoverinfo="skip", **panel(1)))
    if repairs.height:
        fig.add_trace(scatter(
            x=repairs["repair_at"], y=repairs["repair_srs"], mode="markers", name="Repair",
            marker={"symbol": "triangle-up", "size": 18, "color": GREEN, "line": {"width": 1, "color": "white"}},
            customdata=[counted(n, "rated session") for n in repairs["sessions_to_repair"]],
            hovertemplate="Repaired %{x|%Y-%m-%d}<br>SRS %{y:.1f}, %{customdata} after the rupture<extra></extra>",
            **panel(1)))
        for r in repairs.iter_rows(named=True):
            overlay.note(x=r["repair_at"], y=r["repair_srs"], xref="x", yref="y", text="repaired", showarrow=True,
                         arrowhead=0, ax=0, ay=-30, font={"color": GREEN})


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
    fig = new_figure(scatter(
        x=shown["share_repaired"],
        y=shown.select(therapist_label()).to_series(), mode="markers",
        marker={"color": GREEN, "size": 12, "symbol": ["circle-open" if s else "circle" for s in small],
                "line": {"width": 2, "color": GREEN}},
        error_x={"type": "data", "symmetric": False, "color": GREEN, "thickness": 2,
                 "array": (shown["high"] - shown["share_repaired"]).to_numpy(),
                 "arrayminus": (shown["share_repaired"] - shown["low"]).to_numpy()},
        customdata=shown.select("repaired", "resolved", "clients").to_numpy(),
        hovertemplate="%{y}<br>%{x:.0%} repaired (%{customdata[0]:,} of %{customdata[1]:,})<br>"
                      "%{customdata[2]:,} clients rated<extra></extra>"),
        height=max(260, 34 * shown.height + 110), showlegend=False,
        xaxis={"title": {"text": "Share of ruptures repaired (95% interval)"}, "tickformat": ".0%",
               "range": [-0.02, 1.02]})
    if clinic_share is not None:
        reference_line(fig, clinic_share, axis="x", line={"color": GREY, "dash": "dash"},
                       text=f"clinic {clinic_share:.0%}", position="top right")
    return fig


def repair_rate(frame: pl.DataFrame) -> go.Figure:
    """Clinic-wide share of ruptures repaired per period with its 95% interval (attune.ruptures.over_time).

    Periods not settled yet (most of their ruptures still open) are hollow grey points off the line: their share
    counts only the quick outcomes so far."""
    fig = new_figure(height=320, showlegend=False,
                     yaxis={"title": {"text": "Repaired"}, "tickformat": ".0%", "range": [0, 1.02]},
                     xaxis={"tickformat": "%d %b<br>%Y"})
    early = frame.filter((pl.col("resolved") > 0) & ~pl.col("settled"))
    shown = frame.filter((pl.col("resolved") > 0) & pl.col("settled"))
    fig.add_trace(band(
        pl.concat([shown["period_start"], shown["period_start"].reverse()]),
        pl.concat([shown["high"], shown["low"].reverse()]), "rgba(0,158,115,0.15)"))
    fig.add_trace(scatter(
        x=shown["period_start"], y=shown["share_repaired"], mode="lines+markers", line={"color": GREEN, "width": 3},
        name="Share repaired", customdata=shown.select("repaired", "resolved", "open").to_numpy(),
        hovertemplate="%{x|%Y-%m-%d}<br>%{y:.0%} repaired (%{customdata[0]:,} of %{customdata[1]:,} ruptures with an "
                      "outcome)<br>%{customdata[2]:,} still open<extra></extra>"))
    if early.height:
        fig.add_trace(scatter(
            x=early["period_start"], y=early["share_repaired"], mode="markers", name="Not settled yet",
            marker={"symbol": "circle-open", "size": 11, "color": GREY, "line": {"width": 2}},
            customdata=early.select("repaired", "resolved", "open", "ruptures").to_numpy(),
            hovertemplate="%{x|%Y-%m-%d}: not settled yet<br>%{y:.0%} repaired so far (%{customdata[0]:,} of "
                          "%{customdata[1]:,} with an outcome)<br>%{customdata[2]:,} of %{customdata[3]:,} ruptures "
                          "still open<extra></extra>"))
    return fig


def partial_months(start: date, end: date) -> dict[date, str]:
    """The months at either end of the period that it covers only in part, each with a note for its bar
    ("3 of 31 days"): a month's count read beside whole months looks like a fall when it is a part."""
    partial = {}
    for first in sorted({start.replace(day=1), end.replace(day=1)}):
        length = calendar.monthrange(first.year, first.month)[1]
        covered = (min(end, first.replace(day=length)) - max(start, first)).days + 1
        if covered < length:
            partial[first] = f"{covered} of {length} days"
    return partial


def mark_partial_months(fig: go.Figure, period: tuple[date, date] | None) -> None:
    """Fade the bars of the months the period covers only in part and say so above each stack (stacked month
    bars whose x is each month's first day)."""
    if period is None:
        return
    partial = partial_months(*period)

    def day_of(value) -> date:  # months come as dates or datetimes; a trace holds its x as numpy datetime64
        return np.datetime64(value, "D").astype(date)

    stacks: dict[date, float] = {}
    for trace in fig.data:
        months = [day_of(x) for x in trace.x]
        trace.marker.opacity = [0.4 if month in partial else 1.0 for month in months]
        for month, height in zip(months, trace.y, strict=True):
            stacks[month] = stacks.get(month, 0) + height
    for month, total in stacks.items():
        if month in partial:
            fig.add_annotation(x=month, y=total, text=f"part month:<br>{partial[month]}", showarrow=False,
                               yanchor="bottom", yshift=4, font={"color": GREY, "size": FONT_SIZE - 2})


def theme_counts(frame: pl.DataFrame, themes: list[str], period: tuple[date, date] | None = None) -> go.Figure:
    """Comments per theme per period as stacked bars (attune.themes.over_time: period_start, theme, comments).

    `themes` fixes the order and so the colour of each theme, whatever the filters leave. With the `period`
    (start, end), a month it covers only in part is faded and labelled (mark_partial_months).
    """
    fig = new_figure(height=380, barmode="stack", legend={"traceorder": "normal"},
                     yaxis={"title": {"text": "Comments"}}, xaxis={"tickformat": "%b<br>%Y", "dtick": "M1"})
    for i, theme in enumerate(themes):
        part = frame.filter(pl.col("theme") == theme)
        if not part.height:
            continue
        fig.add_trace(bar(x=part["period_start"], y=part["comments"], name=theme,
                          marker_color=PALETTE[i % len(PALETTE)],
                          hovertemplate=f"%{{x|%b %Y}}<br>{theme}: %{{y}} comments<extra></extra>"))
    mark_partial_months(fig, period)
    return fig


def therapist_srs(frame: pl.DataFrame, clinic_mean: float | None, srs_cutoff: float = 36.0,
                  min_caseload: int = 15) -> go.Figure:
    """Each therapist's mean SRS with its 95% interval (client-clustered), lowest first, the clinic mean dashed.

    Expects columns therapist_id, therapist_name, mean_srs, low, high, clients, rated. Rows read "Name (ID)": a
    network has therapists who share a name, who would otherwise share a row. Hollow dots: fewer than
    `min_caseload` clients, too few for a comparison to mean much.
    """
    ordered = frame.sort("mean_srs", descending=True)
    small = ordered["clients"] < min_caseload
    fig = new_figure(scatter(
        x=ordered["mean_srs"], y=ordered.select(therapist_label()).to_series(),
        mode="markers",
        marker={"color": BLUE, "size": 11, "symbol": ["circle-open" if s else "circle" for s in small.to_list()],
                "line": {"width": 2, "color": BLUE}},
        error_x={"type": "data", "symmetric": False, "color": BLUE, "thickness": 2,
                 "array": (ordered["high"] - ordered["mean_srs"]).fill_null(0).to_numpy(),
                 "arrayminus": (ordered["mean_srs"] - ordered["low"]).fill_null(0).to_numpy()},
        customdata=ordered.select("clients", "rated").to_numpy(),
        hovertemplate="%{y}<br>Mean SRS %{x:.1f}<br>%{customdata[0]:,} clients, %{customdata[1]:,} ratings"
                      "<extra></extra>"),
        height=max(260, 34 * ordered.height + 110), showlegend=False,
        xaxis={"title": {"text": "Mean SRS total (95% interval)"}})
    overlay = Overlay(fig)
    if clinic_mean is not None:
        overlay.line(clinic_mean, axis="x", line={"color": GREY, "dash": "dash"}, text=f"clinic {clinic_mean:.1f}",
                     position="top right")
    return overlay.line(srs_cutoff, axis="x", line={"color": GREY, "dash": "dot"}, text=f"cutoff {srs_cutoff:g}",
                        position="top left").draw()
