"""AppTest runs of the Attendance, Dropout and Fit & switches pages: the demo clinic, an empty database, a
clinic without an episodes export (estimated dropout) and one without switch requests."""

from __future__ import annotations

import json

import pytest

from attune import attendance, db, dropout, fit, overview
from attune.formatting import rate
from tests import hand_clinic
from tests.conftest import app_test
from tests.test_access import signed_in

PAGES = ["pages/attendance.py", "pages/dropout.py", "pages/fit.py"]
# What each page itself says on an empty database (the sidebar has its own, more general notice).
EMPTY = {"pages/attendance.py": "Import a sessions (appointments) export on the Data page",
         "pages/dropout.py": "an episodes export with end reasons) on the Data page",
         "pages/fit.py": "including the requests to change therapist, on the Data page"}


def chart(at, key: str) -> dict:
    """The Plotly figure a page sent, as its JSON spec."""
    found = [c for c in at.get("plotly_chart") if c.proto.id and key in c.proto.id]
    assert found, f"no chart {key}"
    return json.loads(found[0].proto.spec)


def table_with(at, column: str):
    """The first table on the page that has `column` (as a pandas frame)."""
    for frame in at.dataframe:
        if column in frame.value.columns:
            return frame.value
    raise AssertionError(f"no table with a {column!r} column")


def metrics(at) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def no_exception(at) -> None:
    assert not at.exception, [e.value for e in at.exception]


@pytest.mark.parametrize("page", PAGES)
def test_page_runs_on_the_demo_clinic(demo_db, page):
    at = app_test(page, timeout=60)
    no_exception(at)
    assert at.get("plotly_chart"), "the demo clinic should give every page a chart"
    assert not at.main.info, [i.value for i in at.main.info]


@pytest.mark.parametrize("page", PAGES)
def test_page_explains_an_empty_database(empty_db, page):
    at = app_test(page)
    no_exception(at)
    assert any(EMPTY[page] in i.value for i in at.main.info)
    assert not at.get("plotly_chart")


def test_attendance_numbers_match_the_package_and_the_overview(demo_db):
    at = app_test("pages/attendance.py", timeout=60)
    filters = at.session_state["filters"]
    con = db.connect(demo_db)
    total = attendance.totals(attendance.breakdown(con.cursor(), filters))
    headline = overview.headline_row(con.cursor(), filters.params())
    con.close()
    shown = metrics(at)
    assert shown["No-show rate"] == rate(total["no_show"], total["kept"])
    assert total["no_show"] == headline["no_show"]
    assert total["kept"] == headline["attended"] + headline["no_show"] + headline["late_cancel"]
    assert "attended + no-shows + late cancellations" in at.expander[0].label


def test_attendance_widgets(demo_db):
    at = app_test("pages/attendance.py", timeout=60)
    named = [t["name"] for t in chart(at, "attendance_breakdown_chart")["data"] if t.get("showlegend") is not False]
    assert named == ["No-show", "Late cancellation"]
    at.radio(key="attendance_dimension").set_value("weekday").run()
    no_exception(at)
    assert list(table_with(at, "Weekday")["Weekday"]) == ["Mon", "Tue", "Wed", "Thu", "Fri"]
    at.radio(key="attendance_dimension").set_value("session").run()
    assert list(table_with(at, "Session number")["Session number"])[0] == "1 (first)"
    repeated = table_with(at, "No-shows since last attended")
    assert (repeated["No-shows"] >= 2).all()
    at.slider(key="attendance_min_no_shows").set_value(3).run()
    no_exception(at)
    fewer = table_with(at, "No-shows since last attended")
    assert (fewer["No-shows"] >= 3).all() and len(fewer) < len(repeated)
    at.radio(key="attendance_grain").set_value("month").run()
    no_exception(at)


def test_dropout_page_matches_the_overview_and_compares_therapists(demo_db, demo_manifest):
    at = app_test("pages/dropout.py", timeout=60)
    filters = at.session_state["filters"]
    con = db.connect(demo_db)
    headline = overview.headline_row(con.cursor(), filters.params(dropout_gap_days=dropout.DROPOUT_GAP_DAYS))
    con.close()
    cards = metrics(at)
    assert cards["Dropout rate"] == f"{100 * headline['dropouts'] / headline['ended_episodes']:.1f}%"
    assert cards["Episodes ended"] == f"{headline['ended_episodes']:,}"  # the rate's denominator, beside it
    assert "episodes export" in at.caption[1].value
    chosen = demo_manifest["sliding_therapist"]
    at.multiselect(key="dropout_km_therapists").select(chosen).run()
    no_exception(at)
    groups = set(table_with(at, "Still in therapy %")["Group"])
    grid = json.loads(next(d for d in at.dataframe if "Still in therapy %" in d.value.columns).proto.columns)
    for column in ("Still in therapy %", "95% low %", "95% high %"):  # 96.0 beside 96.3, not 96
        assert grid[column]["type_config"]["format"] == "%.1f"
    assert dropout.CLINIC in groups and any(f"({chosen})" in g for g in groups)
    lines = [t["name"] for t in chart(at, "dropout_km_chart")["data"] if t.get("mode") == "lines" and not t.get("fill")]
    assert len(lines) == 2 and lines[0] == dropout.CLINIC
    at.radio(key="dropout_km_event").set_value("any").run()
    no_exception(at)


def test_dropout_page_says_when_it_estimates(tmp_path, monkeypatch):
    path = tmp_path / "estimate.duckdb"
    con = db.connect(path)
    hand_clinic.estimate_clinic(con, tmp_path / "exports")
    con.close()
    monkeypatch.setenv("ATTUNE_DB", str(path))
    at = app_test("pages/dropout.py")
    no_exception(at)
    assert any("estimated" in i.value and "42 days" in i.value for i in at.info)
    assert "Dropout rate (estimated)" in metrics(at)


def test_fit_page_on_the_demo_clinic(demo_db, demo_manifest):
    at = app_test("pages/fit.py", timeout=60)
    filters = at.session_state["filters"]
    con = db.connect(demo_db)
    headline = overview.headline_row(con.cursor(), filters.params(dropout_gap_days=fit.DROPOUT_GAP_DAYS))
    con.close()
    shown = metrics(at)
    assert shown["Requests made"] == f"{headline['switch_requests_made']:,}"
    assert shown["Open now"] == f"{headline['open_switch_requests']:,}"
    assert "self-advocacy" in at.markdown[0].value
    planted = demo_manifest["switch_after_low_scores"][0]["client_id"]
    assert planted in list(table_with(at, "Days open")["Client"])
    assert "Reason (client's words)" in table_with(at, "Category").columns
    at.radio(key="fit_flow_view").set_value("Sankey").run()
    no_exception(at)
    assert chart(at, "fit_flow_chart")["data"][0]["type"] == "sankey"


def test_fit_page_without_switch_requests(tmp_path, monkeypatch):
    path = tmp_path / "no_switches.duckdb"
    con = db.connect(path)
    hand_clinic.attendance_clinic(con, tmp_path / "exports")
    con.close()
    monkeypatch.setenv("ATTUNE_DB", str(path))
    at = app_test("pages/fit.py")
    no_exception(at)
    assert any("No requests to change therapist are loaded" in i.value for i in at.info)


@pytest.mark.parametrize("page", PAGES)
def test_roles_without_client_rows_see_no_client_lists(demo_db, page):
    at = signed_in({"email": "an@clinic.org", "role": "analyst"}, page)
    no_exception(at)
    assert at.get("plotly_chart")
    assert all("Client" not in frame.value.columns for frame in at.dataframe)
    supervisor = signed_in({"email": "sup@clinic.org", "role": "director"}, page)
    assert any("Client" in frame.value.columns for frame in supervisor.dataframe)
