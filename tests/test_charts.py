"""How the charts draw what they are given, apart from the numbers (those are tested with the pages' queries)."""

from datetime import date

import polars as pl

from attune import charts, rate_charts, therapist_charts
from attune.fit import CATEGORY_ORDER
from attune.rate_charts import RateSeries

NO_SHOW = RateSeries("no_show", "No-show", "no_show", "kept")

WEEKS = [date(2026, 10, 26), date(2026, 11, 2), date(2026, 11, 9), date(2026, 11, 16)]


REPAIRS = pl.DataFrame({"period_start": WEEKS, "ruptures": [4, 5, 4, 10], "repaired": [3, 4, 2, 1],
                        "resolved": [4, 5, 3, 2], "open": [0, 0, 1, 8], "share_repaired": [0.75, 0.8, 0.67, 0.5],
                        "low": [0.3, 0.38, 0.2, 0.09], "high": [0.95, 0.96, 0.94, 0.91]})


def bands(fig) -> list:
    return [t for t in fig.data if t.fill == "toself"]


def test_a_short_period_draws_its_interval_bands_without_markers():
    """Plotly puts markers on a trace of fewer than 20 points unless told: loose dots along a band's edges."""
    weekly = pl.DataFrame({"week": WEEKS, "rated": [10, 12, 9, 11], "mean_srs": [37.0, 38.5, 36.0, 37.5],
                           "srs_low": [35.0, 36.0, 34.0, 35.5], "srs_high": [39.0, 40.0, 38.0, 39.5],
                           "no_show": [1, 2, 1, 0], "no_show_denominator": [20, 20, 20, 20],
                           "no_show_rate": [0.05, 0.1, 0.05, 0.0]})
    repairs = REPAIRS.with_columns(settled=pl.lit(True))
    therapist = weekly.with_columns(clinic_rated=pl.lit(300), clinic_mean_srs=pl.lit(37.0),
                                    clinic_no_show_rate=pl.lit(0.05))
    figures = {"weekly trend": charts.weekly_trend(weekly), "repair rate": charts.repair_rate(repairs),
               "therapist trend": therapist_charts.therapist_trend(therapist, "Ann Lee")}
    for name, fig in figures.items():
        assert bands(fig), name
        assert {t.mode for t in bands(fig)} == {"lines"}, name


def test_a_period_not_settled_yet_is_off_the_repair_line():
    """The last week, with 8 of its 10 ruptures open, has only its quick outcomes in: not part of the trend."""
    repairs = REPAIRS.with_columns(settled=pl.col("open") <= 0.2 * pl.col("ruptures"))
    fig = charts.repair_rate(repairs)
    traces = {t.name: t for t in fig.data if t.name}
    assert list(traces["Share repaired"].x) == WEEKS[:2]  # week 3 has 1 of 4 open: a quarter, not settled either
    assert list(traces["Not settled yet"].x) == WEEKS[2:]
    assert traces["Not settled yet"].marker.symbol == "circle-open"
    assert list(bands(fig)[0].x) == [*WEEKS[:2], *WEEKS[:2][::-1]]
    assert "Not settled yet" not in {t.name for t in charts.repair_rate(repairs.with_columns(settled=True)).data}


def test_columns_carry_their_labels_level_on_two_lines_rows_on_one():
    """Slanted labels under columns ended under the next column, and Plotly dropped the last when they crowded."""
    hours = pl.DataFrame({"level": [f"{h:02d}:00" for h in range(8, 18)], "no_show_rate": 0.15,
                          "no_show_low": 0.14, "no_show_high": 0.16, "no_show_small": False, "no_show": 150,
                          "kept": 1_000})
    columns = rate_charts.rate_intervals(hours, [NO_SHOW], horizontal=False).layout.xaxis
    assert columns.tickangle == 0 and len(columns.ticktext) == 10
    assert columns.ticktext[0] == "08:00<br>(n=1,000)"
    rows = rate_charts.rate_intervals(hours, [NO_SHOW]).layout.yaxis
    assert rows.ticktext[-1] == "17:00  (n=1,000)"


def test_a_client_without_ratings_is_told_so_in_the_empty_panels():
    sessions = pl.DataFrame({"occurred_at": [date(2026, 11, 2), date(2026, 11, 9)], "therapist_name": "Ann Lee",
                             "status": ["no_show", "no_show"], **{c: [None, None] for c in charts.SRS_ITEMS},
                             "srs_total": [None, None], "ors_total": [None, None], "comment": [None, None]},
                            schema_overrides={c: pl.Float64 for c in [*charts.SRS_ITEMS, "srs_total", "ors_total"]})
    switches = pl.DataFrame(schema={"requested_at": pl.Date, "from_name": pl.Utf8, "reason": pl.Utf8,
                                    "status": pl.Utf8})
    notes = {a.text: (a.xref, a.yref) for a in charts.client_timeline(sessions, switches).layout.annotations}
    assert notes["No SRS or ORS ratings yet"] == ("x domain", "y domain")
    assert notes["No SRS ratings yet"] == ("x2 domain", "y2 domain")
    rated = sessions.with_columns(srs_total=pl.Series([35.0, 37.0]), **{c: pl.Series([8.0, 9.0])
                                                                           for c in charts.SRS_ITEMS})
    texts = {a.text for a in charts.client_timeline(rated, switches).layout.annotations}
    assert not texts & {"No SRS or ORS ratings yet", "No SRS ratings yet"}


def funnel_points(n: int) -> pl.DataFrame:
    """n therapists sharing two names, the first two outside the 99.8% and 95% limits below."""
    positions = ["below 99.8%", "below 95%"] + ["within"] * (n - 2)
    return pl.DataFrame({"therapist_id": [f"T{i:03d}" for i in range(n)],
                         "therapist_name": ["Amara Castillo" if i % 2 else "Elias Kowalski" for i in range(n)],
                         "events": 5, "denominator": 100, "rate": [0.01, 0.03] + [0.1] * (n - 2),
                         "position": positions, "selected": False})


def test_funnel_names_its_outliers_and_says_which_it_names():
    curve = pl.DataFrame({"n": [10.0, 120.0], "lo95": [0.0, 0.05], "hi95": [0.3, 0.15], "lo998": [0.0, 0.03],
                          "hi998": [0.4, 0.2]})
    clinic = therapist_charts.funnel(funnel_points(12), curve, 0.1, "No-show rate", "appointments")
    traces = {t.name: t for t in clinic.data}
    assert list(traces["Below the 99.8% limit"].text) == ["Elias K."]
    assert list(traces["Below the 95% limit"].text) == ["Amara C."]
    assert traces["Below the 95% limit"].marker.symbol != traces["Below the 99.8% limit"].marker.symbol
    assert therapist_charts.funnel_note(12).endswith("those points are coloured, and they are named.")
    network = therapist_charts.funnel(funnel_points(200), curve, 0.1, "No-show rate", "appointments")
    traces = {t.name: t for t in network.data}
    assert list(traces["Below the 99.8% limit"].text) == ["Elias K. (T000)"]  # two share each name: the id too
    assert traces["Below the 95% limit"].text is None
    assert "names are written beside those outside the 99.8% limits" in therapist_charts.funnel_note(200)


def test_counts_in_labels_and_hovers_have_thousands_separators():
    grid = pl.DataFrame({"weekday": [1], "hour": [9], "no_show_rate": [0.15], "no_show": [972], "kept": [6481]})
    heat = rate_charts.weekday_hour_heatmap(grid, 20).data[0]
    assert heat.text[0][0] == "15%<br>of 6,481"
    assert "%{customdata[0]:,} of %{customdata[1]:,}" in heat.hovertemplate
    hovers = [t.hovertemplate for t in charts.repair_rate(REPAIRS.with_columns(settled=True)).data if t.hovertemplate]
    assert hovers and all("%{customdata[0]:,} of %{customdata[1]:,}" in h for h in hovers)


def test_months_the_period_covers_in_part_are_faded_and_labelled():
    assert charts.partial_months(date(2026, 8, 29), date(2026, 11, 20)) == {
        date(2026, 8, 1): "3 of 31 days", date(2026, 11, 1): "20 of 30 days"}
    assert charts.partial_months(date(2026, 9, 1), date(2026, 10, 31)) == {}
    months = [date(2026, 8, 1), date(2026, 9, 1), date(2026, 10, 1), date(2026, 11, 1)]
    frame = pl.DataFrame({"month": months * 2, "category": [CATEGORY_ORDER[0]] * 4 + [CATEGORY_ORDER[1]] * 4,
                          "requests": [1, 9, 8, 5, 0, 3, 4, 2]})
    fig = rate_charts.category_months(frame, (date(2026, 8, 29), date(2026, 11, 20)))
    assert {tuple(t.marker.opacity) for t in fig.data} == {(0.4, 1.0, 1.0, 0.4)}
    notes = {(a.x, a.y): a.text for a in fig.layout.annotations}
    assert notes == {(date(2026, 8, 1), 1): "part month:<br>3 of 31 days",
                     (date(2026, 11, 1), 7): "part month:<br>20 of 30 days"}
    whole = rate_charts.category_months(frame)
    assert not whole.layout.annotations and all(t.marker.opacity is None for t in whole.data)
    comments = pl.DataFrame({"period_start": months, "theme": "Fit", "comments": [2, 5, 6, 1]})
    themed = charts.theme_counts(comments, ["Fit"], (date(2026, 8, 29), date(2026, 11, 20)))
    assert tuple(themed.data[0].marker.opacity) == (0.4, 1.0, 1.0, 0.4)
