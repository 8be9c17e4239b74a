"""The Overview page: its numbers against an independent computation on the same CSV exports."""

from datetime import date, timedelta

import polars as pl
import pytest

from attune import overview
from attune.filters import Filters, default_filters
from tests.conftest import app_test


def expected_numbers(exports, start: date, end: date, therapists: tuple[str, ...] = ()) -> dict:
    """The headline numbers computed with Polars straight from the CSV files."""
    sessions = pl.read_csv(exports / "sessions.csv", try_parse_dates=True)
    if therapists:
        sessions = sessions.filter(pl.col("therapist_id").is_in(therapists))
    period = sessions.filter(pl.col("scheduled_at").dt.date().is_between(start, end))
    attended = period.filter(pl.col("status") == "attended")
    feedback = pl.read_csv(exports / "feedback.csv").join(period, on="session_id")
    no_show = period.filter(pl.col("status") == "no_show").height
    late = period.filter(pl.col("status") == "late_cancel").height
    episodes = pl.read_csv(exports / "episodes.csv", try_parse_dates=True).filter(
        pl.col("end_date").is_between(start, end))
    if therapists:
        episodes = episodes.filter(pl.col("therapist_id").is_in(therapists))
    return {
        "active": attended["client_id"].n_unique(),
        "held": attended.height,
        "mean_srs": feedback["srs_total"].mean(),
        "below": (feedback["srs_total"] < 36).mean(),
        "no_show": no_show / (attended.height + no_show + late),
        "dropout": (episodes["end_reason"] == "dropout").mean(),
    }


def test_headlines_match_an_independent_computation(demo_db, demo_exports):
    import duckdb

    from attune import db

    con = db.connect(demo_db)
    filters = default_filters(date(2026, 11, 20))
    cards = {c.label: c for c in overview.headlines(con, filters)}
    want = expected_numbers(demo_exports, filters.start, filters.end)
    assert cards["Active clients"].value == want["active"]
    assert cards["Sessions held"].value == want["held"]
    assert cards["Mean SRS"].value == pytest.approx(want["mean_srs"])
    assert cards["Sessions rated below 36"].value == pytest.approx(want["below"])
    assert cards["No-show rate"].value == pytest.approx(want["no_show"])
    assert cards["Dropout rate"].value == pytest.approx(want["dropout"])
    previous = expected_numbers(demo_exports, filters.start - timedelta(days=84), filters.start - timedelta(days=1))
    assert cards["Sessions held"].previous == previous["held"]
    assert isinstance(con, duckdb.DuckDBPyConnection)


def test_overview_page_shows_the_numbers(demo_db, demo_exports):
    at = app_test()
    assert not at.exception
    filters: Filters = at.session_state["filters"]
    want = expected_numbers(demo_exports, filters.start, filters.end)
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Sessions held"] == f"{want['held']:,}"
    assert metrics["Mean SRS"] == f"{want['mean_srs']:.1f}"
    assert metrics["No-show rate"] == f"{100 * want['no_show']:.1f}%"
    assert [c.key for c in at.get("plotly_chart")] == ["overview_trend", "overview_repair"]


def test_overview_filtered_to_one_therapist(demo_db, demo_exports):
    at = app_test()
    at.multiselect(key="flt_therapists").select("T03").run()
    assert not at.exception
    filters: Filters = at.session_state["filters"]
    want = expected_numbers(demo_exports, filters.start, filters.end, ("T03",))
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Sessions held"] == f"{want['held']:,}"
    assert at.query_params["therapist"] in ("T03", ["T03"])


def test_empty_database_says_what_to_do(empty_db):
    at = app_test()
    assert not at.exception
    text = " ".join(i.value for i in at.info)
    assert "No data loaded yet" in text and "Import" in text
    assert not at.metric


def test_dropout_is_estimated_and_labelled_without_episodes(demo_db):
    from attune import db

    con = db.connect(demo_db)
    con.execute("DELETE FROM episodes")
    cards = {c.label: c for c in overview.headlines(con, default_filters(date(2026, 11, 20)))}
    card = cards["Dropout rate (estimated from sessions)"]
    assert card.value is not None and "42 days" in card.help


@pytest.mark.parametrize(("kind", "now", "before", "delta", "arrow", "color"), [
    ("score", 37.02, 36.98, "no change", "off", "off"),  # +0.04 rounds to nothing: no green arrow
    ("score", 37.2, 36.9, "+0.3", "auto", "normal"),
    ("rate", 0.1604, 0.1601, "no change", "off", "off"),
    ("rate", 0.16, 0.17, "-1.0 pts", "auto", "normal"),
    ("count", 1200, 1200, "no change", "off", "off"),
    ("count", 1200, 189, "+1,011", "auto", "normal"),
])
def test_a_change_that_rounds_to_nothing_is_written_without_an_arrow(kind, now, before, delta, arrow, color):
    card = overview.Headline("x", now, "", before, kind)
    assert (card.delta, card.delta_arrow, card.delta_color) == (delta, arrow, color)


def test_no_previous_period_means_no_change_shown():
    assert overview.Headline("x", 0.2, "", None, "rate").delta is None
