"""Fit & switches on a hand-written clinic: reason categories, flows, what happened after a switch, open requests.

Requests (tests/hand_clinic.py), period January–March 2026:
  R1 C1 T1 -> T2 completed: last three SRS with T1 32, 34, 35 (mean 33.67); first three with T2 36, 38, 37
     (mean 37.0); four sessions with T2 and still attending on 30 Mar (gap rule) -> still with the new therapist
  R2 C2 T1 -> T3 completed, never seen by T3
  R3 C3 T2 -> (none) open since 20 Mar; SRS with T2 on or before that day: 31
  R4 C4 T2 -> T1 declined
  R5 made in December 2025 and completed: outside the period, not open -> not shown
"""

from datetime import date

import polars as pl
import pytest

from attune import fit, rate_charts
from attune.filters import Filters
from tests import hand_clinic

Q1 = Filters(date(2026, 1, 1), date(2026, 3, 31))


@pytest.fixture
def requests(built_copy):
    return fit.requests(built_copy(hand_clinic.switch_clinic).cursor(), Q1)


@pytest.mark.parametrize(("reason", "category"), [
    ("We just don't click", "Personality / fit"),
    ("I don't feel my therapist understands me; would like someone else", "Personality / fit"),
    ("Personality clash, nothing wrong as such", "Personality / fit"),
    ("Would prefer a therapist who uses a more structured approach like CBT", "Approach"),
    ("Felt the sessions were not going anywhere", "Approach"),
    ("The new appointment times don't fit my work schedule", "Practical / scheduling"),
    ("Moving closer to the other site", "Practical / scheduling"),
    ("The fees are too high", "Practical / scheduling"),
    ("I would feel more comfortable with a therapist who shares my cultural background", "Identity / culture"),
    ("Would like a female therapist", "Identity / culture"),
    ("Ich möchte wechseln", fit.OTHER),
    ("", fit.OTHER),
    (None, fit.OTHER),
])
def test_reason_categories(reason, category):
    assert fit.categorise(reason) == category


def test_requests_in_scope_with_categories(requests):
    assert requests["request_id"].to_list() == ["R4", "R1", "R2", "R3"]  # by request date; R5 left out
    assert dict(zip(requests["request_id"], requests["category"], strict=True)) == {
        "R1": "Personality / fit", "R2": "Practical / scheduling", "R3": "Identity / culture", "R4": "Approach"}
    table = fit.requests_table(requests)
    assert "We just don't click" in table["Reason (client's words)"].to_list()


def test_switch_outcome(requests):
    r1 = requests.filter(pl.col("request_id") == "R1").row(0, named=True)
    assert r1["srs_before"] == pytest.approx((32 + 34 + 35) / 3)
    assert r1["rated_before"] == 3
    assert r1["srs_after"] == pytest.approx((36 + 38 + 37) / 3)
    assert r1["rated_after"] == 3
    assert r1["srs_change"] == pytest.approx(37 - 101 / 3)
    assert r1["attended_after"] == 4
    assert r1["outcome"] == "Still with the new therapist"
    r2 = requests.filter(pl.col("request_id") == "R2").row(0, named=True)
    assert (r2["srs_before"], r2["srs_after"], r2["attended_after"]) == (36.0, None, 0)
    assert r2["outcome"] == "Not seen by the new therapist yet"
    assert requests.filter(pl.col("request_id").is_in(["R3", "R4"]))["outcome"].to_list() == [None, None]
    summary = fit.outcome_summary(requests)
    assert summary == {"completed": 2, "compared": 1, "higher": 1, "mean_change": pytest.approx(37 - 101 / 3),
                       "started": 1, "stayed": 1}
    assert "In 1 of 1 switches" in fit.change_text(summary)


def test_outcome_labels_for_endings():
    frame = pl.DataFrame({
        "status": ["completed", "completed", "completed", "declined"],
        "to_therapist_id": ["T2", "T2", "T2", "T2"],
        "attended_after": [3, 5, 2, 4],
        "new_end_date": [date(2026, 3, 1), date(2026, 3, 1), None, date(2026, 3, 1)],
        "new_end_reason": ["dropout", "planned", None, "dropout"],
        "reason": ["", "", "", ""], "srs_before": [None] * 4, "srs_after": [None] * 4,
    }, schema_overrides={"srs_before": pl.Float64, "srs_after": pl.Float64})
    labelled = fit.with_outcomes(frame)
    assert labelled["outcome"].to_list() == ["Dropped out after switching", "Ended as planned or referred on",
                                             "Still with the new therapist", None]


def test_flows_and_categories_and_months(requests):
    assert fit.flows(requests).rows() == [
        ("Ann Archer (T1)", "Bo Berg (T2)", 1), ("Ann Archer (T1)", "Cy Chen (T3)", 1),
        ("Bo Berg (T2)", "Ann Archer (T1)", 1), ("Bo Berg (T2)", "No therapist named", 1)]
    assert fit.flows(requests, limit=1).rows() == [  # ties go by name; 'No therapist named' is never grouped
        ("Ann Archer (T1)", "Other therapists (2)", 2), ("Other therapists (1)", "Ann Archer (T1)", 1),
        ("Other therapists (1)", "No therapist named", 1)]
    grid = rate_charts.flow_matrix(fit.flows(requests, limit=1))
    assert list(grid.data[0].y) == ["Ann Archer (T1)", "Other therapists (1)"]
    assert list(grid.data[0].x) == ["Ann Archer (T1)", "Other therapists (2)", "No therapist named"]
    sankey = rate_charts.flow_sankey(fit.flows(requests)).data[0]
    assert sankey.link.customdata[0] == "Ann Archer (T1) → Bo Berg (T2)"  # one arrow, not the labels' two
    assert sankey.link.hovertemplate.startswith("%{customdata}: %{value} requests")
    assert fit.by_category(requests)["requests"].sum() == 4
    months = fit.over_time(requests)
    assert months.group_by("month").agg(pl.col("requests").sum()).sort("month").rows() == [
        (date(2026, 1, 1), 1), (date(2026, 2, 1), 2), (date(2026, 3, 1), 1)]


def test_open_requests(requests):
    table = fit.open_requests(requests, date(2026, 3, 30))
    assert table.select("Request", "Days open", "Category", "Recent SRS with current therapist").rows() == [
        ("R3", 10, "Identity / culture", "31.0")]


def test_therapist_filter_scopes_by_the_therapist_left(con, tmp_path):
    hand_clinic.switch_clinic(con, tmp_path / "exports")
    only_t2 = fit.requests(con.cursor(), Filters(date(2026, 1, 1), date(2026, 3, 31), therapist_ids=("T2",)))
    assert sorted(only_t2["request_id"].to_list()) == ["R3", "R4"]
    assert fit.any_requests(con.cursor())
    assert fit.any_requests(con.cursor(), ("T2",)) and not fit.any_requests(con.cursor(), ())


def test_the_flows_caption_names_the_sides_of_the_view_shown():
    assert fit.flows_note("Matrix").startswith("Rows: the therapist the client asked to leave; columns: ")
    assert fit.flows_note("Sankey").startswith("Left: the therapist the client asked to leave; right: ")
    assert "declined or still open, the one asked for (No therapist named when none is named)" in fit.flows_note(
        "Sankey")
