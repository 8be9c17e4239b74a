"""The cheaper ways the chart builders make their figures draw what Plotly's own calls drew: reference lines as
plain shapes (charts.reference_line / Overlay) where add_vline / add_hline were used, the stacked panels of
charts.stacked_figure where make_subplots was, and data handed over as arrays (customdata rows the hovers index).
"""

from datetime import date, datetime

import plotly.graph_objects as go
import polars as pl
import pytest
from plotly.subplots import make_subplots

from attune import charts, rate_charts, therapist_charts
from attune.charts import GREY, Overlay, reference_line
from attune.rate_charts import RateSeries

LINE = {"color": GREY, "dash": "dash"}
POSITIONS = ["top left", "top right", "top", "bottom left", "bottom right", "bottom", "left", "right"]


def layout_objects(fig: go.Figure) -> tuple[list[dict], list[dict]]:
    spec = fig.to_dict()["layout"]
    return spec.get("shapes", []), spec.get("annotations", [])


def plain_figure() -> go.Figure:
    return go.Figure(go.Scatter(x=[0.1, 0.5, 0.9], y=[1, 2, 3]))


def three_panels() -> go.Figure:
    fig = make_subplots(rows=3, cols=1, shared_xaxes=True, vertical_spacing=0.08)
    for row in (1, 2, 3):
        fig.add_trace(go.Scatter(x=[date(2026, 1, 5), date(2026, 2, 2)], y=[row, row + 1]), row=row, col=1)
    return fig


def test_a_vertical_line_on_a_plain_figure_spans_the_plot_at_its_x():
    fig = reference_line(plain_figure(), 0.25, axis="x", line=LINE, text="clinic 25%", position="top")
    shapes, notes = layout_objects(fig)
    assert shapes == [{"type": "line", "x0": 0.25, "x1": 0.25, "xref": "x", "y0": 0, "y1": 1, "yref": "y domain",
                       "line": LINE}]
    assert [(n["text"], n["x"], n["y"], n["xref"], n["yref"], n["xanchor"], n["yanchor"]) for n in notes] == [
        ("clinic 25%", 0.25, 1, "x", "y domain", "center", "bottom")]


def test_a_horizontal_line_in_a_subplot_row_uses_that_panels_axes():
    fig = reference_line(three_panels(), 8.0, axis="y", line=LINE, text="item cutoff 8", position="bottom right",
                         row=2)
    shapes, notes = layout_objects(fig)
    assert [(s["x0"], s["x1"], s["y0"], s["y1"], s["xref"], s["yref"]) for s in shapes] == [
        (0, 1, 8.0, 8.0, "x2 domain", "y2")]
    assert [(n["text"], n["x"], n["y"], n["xref"], n["yref"], n["xanchor"], n["yanchor"]) for n in notes] == [
        ("item cutoff 8", 1, 8.0, "x2 domain", "y2", "right", "top")]


def test_an_unlabelled_vertical_line_in_the_third_panel():
    fig = Overlay(three_panels()).line(date(2026, 1, 20), axis="x", line=LINE, row=3).draw()
    shapes, notes = layout_objects(fig)
    assert [(s["x0"], s["x1"], s["y0"], s["y1"], s["xref"], s["yref"]) for s in shapes] == [
        (date(2026, 1, 20), date(2026, 1, 20), 0, 1, "x3", "y3 domain")]
    assert notes == []


@pytest.mark.parametrize("position", POSITIONS)
@pytest.mark.parametrize("axis", ["x", "y"])
def test_the_line_and_its_label_are_what_add_vline_and_add_hline_make(axis, position):
    ours = reference_line(plain_figure(), 0.4, axis=axis, line=LINE, text="all 40%", position=position)
    theirs = plain_figure()
    add = theirs.add_vline if axis == "x" else theirs.add_hline
    add(0.4, line=LINE, annotation_text="all 40%", annotation_position=position)
    assert layout_objects(ours) == layout_objects(theirs)


@pytest.mark.parametrize("row", [1, 2, 3])
def test_in_a_panel_too(row):
    ours = Overlay(three_panels()).line(30.0, axis="y", line=LINE, text="cutoff 30", position="bottom left",
                                        row=row).line(date(2026, 1, 20), axis="x", line=LINE, row=row).draw(15)
    theirs = three_panels()
    theirs.add_hline(30.0, line=LINE, row=row, col=1, annotation_text="cutoff 30", annotation_position="bottom left")
    theirs.add_vline(date(2026, 1, 20), line=LINE, row=row, col=1)
    theirs.update_annotations(font_size=15)
    assert layout_objects(ours) == layout_objects(theirs)


@pytest.mark.parametrize(("titles", "spacing", "heights"), [
    (("Mean SRS per week", "No-show rate per week"), 0.12, None),
    (("SRS total and ORS (0–40)", "SRS items (0–10)", "Attendance"), 0.08, (0.5, 0.3, 0.2)),
])
def test_stacked_figure_lays_out_the_panels_as_make_subplots(titles, spacing, heights):
    ours = charts.stacked_figure(titles, spacing=spacing, row_heights=heights, height=500, yaxis2={"tickformat": ".0%"})
    theirs = make_subplots(rows=len(titles), cols=1, shared_xaxes=True, vertical_spacing=spacing,
                           row_heights=list(heights) if heights else None, subplot_titles=titles)
    theirs.update_layout(**charts.house_layout(500))
    theirs.update_yaxes(tickformat=".0%", row=2, col=1)
    assert ours.to_dict()["layout"] == theirs.to_dict()["layout"]


def test_client_timeline_marks_a_request_in_every_panel_with_something_in_it():
    sessions = pl.DataFrame({
        "occurred_at": [datetime(2026, 3, 2, 10), datetime(2026, 3, 9, 10)], "therapist_name": ["Ann Lee", "Ann Lee"],
        "status": [None, None], "srs_total": [35.0, 37.0], "ors_total": [None, None],
        "srs_relationship": [9.0, 9.5], "srs_goals": [8.5, 9.0], "srs_approach": [8.0, 9.0], "srs_overall": [9.5, 9.5],
        "comment": ["", None]}, schema_overrides={"status": pl.String, "ors_total": pl.Float64})
    switches = pl.DataFrame({"requested_at": [date(2026, 3, 5)]})
    quiet = charts.client_timeline(sessions, switches, as_of=date(2026, 3, 20))
    booked = charts.client_timeline(sessions.with_columns(status=pl.lit("attended")), switches, as_of=date(2026, 3, 20))
    for fig, panels in ((quiet, ["x", "x2"]), (booked, ["x", "x2", "x3"])):
        shapes, notes = layout_objects(fig)
        requests = [s for s in shapes if s["xref"] in ("x", "x2", "x3")]
        assert [(s["xref"], s["yref"], s["x0"]) for s in requests] == [
            (x, x.replace("x", "y") + " domain", date(2026, 3, 5)) for x in panels]
        assert {n["font"]["size"] for n in notes} == {charts.FONT_SIZE}
        assert notes[-1]["text"] == "asked to change therapist"


def test_customdata_rows_hold_what_the_hovers_index():
    frame = pl.DataFrame({"level": ["Mon", "Tue"], "no_show_rate": [0.1, None], "no_show_low": [0.05, None],
                          "no_show_high": [0.2, None], "no_show_small": [False, True], "no_show": [2, 0],
                          "kept": [20, 0]})
    fig = rate_charts.rate_intervals(frame, [RateSeries("no_show", "No-show", "no_show", "kept")], reference=0.1)
    custom = fig.to_dict()["data"][0]["customdata"]
    assert [list(row) for row in custom] == [["Mon  (n=20)", 2, 20, 0.05, 0.2], ["Tue  (n=0, small)", 0, 0, None, None]]
    points = pl.DataFrame({"therapist_id": ["T1"], "therapist_name": ["Ann Lee"], "events": [3], "denominator": [40],
                           "rate": [0.075], "position": ["within"], "selected": [True]})
    curve = pl.DataFrame({"n": [10.0, 50.0], "lo95": [0.0, 0.02], "hi95": [0.3, 0.15], "lo998": [0.0, 0.0],
                          "hi998": [0.4, 0.2]})
    fig = therapist_charts.funnel(points, curve, 0.08, "No-show rate", "appointments")
    custom = fig.to_dict()["data"][-1]["customdata"]
    assert [list(row) for row in custom] == [["Ann Lee (T1)", 3, "appointments", "within the expected range"]]
