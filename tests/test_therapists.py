"""The Therapists page: per-therapist numbers on hand-written exports, and the page on the demo and empty clinics."""

from __future__ import annotations

import base64
import json
from datetime import date
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from attune import db, ingest, therapists
from attune.filters import Filters
from tests import hand_clinic
from tests.conftest import ROOT, app_test

THERAPISTS = """
therapist_id,name,supervisor,site,active
T1,Ann Able,Team A,North,true
T2,Bob Baker,Team A,North,true
"""
# T1: clients C1 (3 attended, 1 no-show) and C2 (1 attended, 1 late cancel, 1 cancelled in good time);
# T2: client C3 (2 attended).
SESSIONS = """
session_id,client_id,therapist_id,scheduled_at,status,session_number,site,service
S1,C1,T1,2026-03-02 10:00,attended,1,North,Adult
S2,C1,T1,2026-03-09 10:00,attended,2,North,Adult
S3,C1,T1,2026-03-16 10:00,no_show,3,North,Adult
S4,C1,T1,2026-03-23 10:00,attended,4,North,Adult
S5,C2,T1,2026-03-03 10:00,attended,1,North,Adult
S6,C2,T1,2026-03-10 10:00,late_cancel,2,North,Adult
S7,C2,T1,2026-03-17 10:00,cancelled,3,North,Adult
S8,C3,T2,2026-03-04 10:00,attended,1,North,Adult
S9,C3,T2,2026-03-11 10:00,attended,2,North,Adult
"""
FEEDBACK = """
session_id,srs_total,ors_total
S1,38,15
S2,36,18
S4,37,22
S5,30,20
S8,39,
S9,35,
"""
EPISODES = """
client_id,therapist_id,start_date,end_date,end_reason
C1,T1,2026-03-02,,
C2,T1,2026-03-03,2026-03-20,dropout
C3,T2,2026-03-04,2026-03-12,planned
"""
SWITCHES = """
request_id,client_id,from_therapist_id,to_therapist_id,requested_at,reason,status
R1,C2,T1,T2,2026-03-18,Would prefer a different approach,completed
"""
MARCH = Filters(start=date(2026, 3, 1), end=date(2026, 3, 31))


def import_small(con, folder: Path) -> None:
    write_csv = hand_clinic.csv_writer(folder)
    for name, text in (("therapists.csv", THERAPISTS), ("sessions.csv", SESSIONS), ("feedback.csv", FEEDBACK),
                       ("episodes.csv", EPISODES), ("switch_requests.csv", SWITCHES)):
        report = ingest.import_file(con, write_csv(name, text))
        assert report.status == "imported", report.summary


@pytest.fixture
def small(built_copy):
    return built_copy(import_small)


def test_compare_counts_rates_and_intervals_by_hand(small):
    frame = therapists.compare(small.cursor(), MARCH, min_clients=2).sort("therapist_id")
    t1, t2 = frame.row(0, named=True), frame.row(1, named=True)
    # T1: attended 4 (C1 x3, C2 x1); no-show 1 of (4 attended + 1 no-show + 1 late cancel) = 6
    assert (t1["active_clients"], t1["sessions_held"], t1["no_show"], t1["no_show_denominator"]) == (2, 4, 1, 6)
    assert t1["no_show_rate"] == pytest.approx(1 / 6)
    # Ratings 38, 36, 37 (C1) and 30 (C2): mean 141/4 = 35.25, below 36: 1 of 4.
    assert t1["mean_srs"] == pytest.approx(35.25)
    assert (t1["rated_clients"], t1["rated_sessions"], t1["below_cutoff"]) == (2, 4, 1)
    # Client-clustered SE: residuals 111 - 3*35.25 = 5.25 and 30 - 35.25 = -5.25 -> var = 2/1 * 55.125/16
    assert t1["srs_se"] == pytest.approx((2 * 55.125 / 16) ** 0.5)
    assert (t1["dropouts"], t1["ended_episodes"], t1["dropout_estimated"]) == (1, 1, False)
    assert (t1["switch_away"], t1["switch_to"], t2["switch_away"], t2["switch_to"]) == (1, 0, 0, 1)
    assert (t2["dropouts"], t2["ended_episodes"]) == (0, 1)
    # Wilson 1/6: centre (1/6 + 1.9208/6) / 1.64025 = .29679, half .26089 -> .0301 to .5636
    assert (t1["no_show_low"], t1["no_show_high"]) == pytest.approx((0.0301, 0.5636), abs=1e-4)
    assert t1["compared"] and not t2["compared"]  # T2 has one rated client, fewer than 2
    assert t1["no_show_position"] == "within" and t2["no_show_position"] is None


def test_comparison_table_hides_rates_of_small_caseloads_and_sorts_by_name(small):
    frame = therapists.compare(small.cursor(), MARCH, min_clients=2)
    table = therapists.comparison_table(frame, min_clients=2)
    assert table["Therapist"].to_list() == ["Ann Able", "Bob Baker"]
    ann, bob = table.row(0, named=True), table.row(1, named=True)
    assert (ann["No-show"], ann["No-show 95% CI"]) == ("16.7% of 6", "3.0–56.4%")
    assert ann["Sessions below 36"] == "25.0% of 4"
    assert ann["Dropout"] == "100.0% of 1"
    assert bob["Mean SRS (95% CI)"] == "—" and bob["No-show"] == "—" and bob["No-show 95% CI"] == "—"
    assert bob["Compared with the clinic"] == "Too few to compare (1 clients with ratings; 2 needed)"
    assert not any("rank" in c.lower() for c in table.columns)


def test_therapist_filter_keeps_the_clinic_as_the_yardstick(small):
    only_bob = Filters(start=MARCH.start, end=MARCH.end, therapist_ids=("T2",))
    frame = therapists.compare(small.cursor(), only_bob, min_clients=1)
    assert frame.height == 2  # both therapists computed ...
    assert frame.filter(pl.col("selected"))["therapist_id"].to_list() == ["T2"]  # ... one shown
    assert therapists.clinic_totals(frame)["no_show_rate"] == pytest.approx(1 / 8)


def test_the_clinic_answer_marked_with_a_choice_is_the_answer_for_that_choice(small):
    """The page caches compare and ors_outcomes on the clinic scope and only marks the chosen therapists."""
    for chosen in (("T2",), ("T1", "T2"), ("NOBODY",)):
        picked = Filters(start=MARCH.start, end=MARCH.end, therapist_ids=chosen)
        clinic = therapists.clinic_scope(picked)
        answers = {}
        for compute in (therapists.compare, therapists.ors_outcomes):
            direct = compute(small.cursor(), picked, min_clients=1)
            answers[compute] = therapists.mark_selected(compute(small.cursor(), clinic, min_clients=1), picked)
            assert answers[compute].equals(direct), (compute.__name__, chosen)
        shown = answers[therapists.compare].filter(pl.col("selected"))
        assert set(shown["therapist_id"]) == set(chosen) - {"NOBODY"}
    assert therapists.mark_selected(pl.DataFrame(), picked).is_empty()  # no ORS pairs at all


def test_the_drill_downs_ruptures_are_its_therapists_row_of_the_whole_answer(demo_db):
    """The page asks for the drilled therapist's ruptures alone (drill_scope); each must be that therapist's row of
    the answer for everyone in the filters, caseload note included."""
    from attune import ruptures, settings

    con = db.connect(demo_db)
    end = con.execute("SELECT max(scheduled_at)::DATE FROM sessions").fetchall()[0][0]
    for scope in (Filters(date(end.year - 1, end.month, 1), end), Filters(end.replace(day=1), end, sites=("North",))):
        everyone = ruptures.by_therapist(con.cursor(), scope, settings.defaults(), end)
        assert everyone.height >= 4 and everyone["ruptures"].sum() > 0
        for row in everyone.iter_rows(named=True):
            alone = ruptures.by_therapist(con.cursor(), therapists.drill_scope(scope, row["therapist_id"]),
                                          settings.defaults(), end)
            assert alone.rows(named=True) == [row]

def test_ors_outcomes_reliable_improvement_by_hand(small):
    out = therapists.ors_outcomes(small.cursor(), MARCH, min_clients=1)
    ann = out.filter(pl.col("therapist_id") == "T1").row(0, named=True)
    # C1: first ORS 15, latest 22 -> +7, reliably improved; C2 has one ORS rating -> not counted.
    assert (ann["clients"], ann["improved"], ann["deteriorated"]) == (1, 1, 0)
    assert out["therapist_id"].to_list()[-1] == "clinic"
    shown = therapists.ors_table(out.with_columns(selected=pl.col("therapist_id") != "clinic"), min_clients=1)
    assert shown["Therapist"][0] == "Ann Able (T1)"  # a network has therapists who share a name: the id is written too
    with_clinic = therapists.ors_table(out.with_columns(selected=True), min_clients=1)
    assert with_clinic["Therapist"][-1] == "Whole clinic"


def test_without_episodes_or_ors_dropout_is_estimated_and_outcomes_empty(con, write_csv):
    sessions = SESSIONS.strip() + "\nS10,C3,T2,2026-06-01 10:00,attended,3,North,Adult"
    for name, text in (("therapists.csv", THERAPISTS), ("sessions.csv", sessions),
                       ("feedback.csv", "session_id,srs_total\nS1,38\nS2,36\nS5,30")):
        assert ingest.import_file(con, write_csv(name, text)).status == "imported"
    frame = therapists.compare(con.cursor(), MARCH, min_clients=1)
    t1 = frame.filter(pl.col("therapist_id") == "T1").row(0, named=True)
    # Both T1 pairs have no attended session in the 42 days before the newest session (2026-06-01): ended.
    # C1's last booking was attended (planned end), C2's last booking was a cancellation (dropout).
    assert (t1["dropouts"], t1["ended_episodes"], t1["dropout_estimated"]) == (1, 2, True)
    assert therapists.ors_outcomes(con.cursor(), MARCH).is_empty()


def test_current_clients_with_signals_and_attention_links(small):
    clients = therapists.current_clients(small.cursor(), "T1", date(2026, 3, 31))
    # C2's episode ended (dropout) after their last attended session: not current.
    assert clients["Client"].to_list() == ["./attention?client=C1"]
    c1 = clients.row(0, named=True)
    assert (c1["Latest SRS"], c1["Change from previous SRS"], c1["Latest ORS"]) == ("37.0", "+1.0", "22.0")
    assert c1["Signals"] == ""
    assert c1["Last booking status"] == "Attended"  # in words, not the stored code "attended"


def test_therapist_queries_return_their_documented_columns(empty_db):
    cur = db.connect(empty_db).cursor()
    params = MARCH.params(dropout_gap_days=42, therapist_id="T1", as_of=date(2026, 3, 31), active_days=42)
    for name in [n for n in db.query_names() if n.startswith("therapist_")]:
        header = db.query_sql(name).split("Returns:")[1].split("\n--")[0:3]
        frame = db.run_query(cur, name, params)
        documented = " ".join(header)
        for column in frame.columns:
            assert column in documented, f"{name}: column {column} is not in its header comment"


# ---- the page ----

def _open(**query: str):
    """The Therapists page opened from a link with these query parameters."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=30)
    for key, value in query.items():
        at.query_params[key] = value
    at.run()
    return at.switch_page("pages/therapists.py").run()


def _table(at, column: str):
    """The first table on the page with this column, as pandas (AppTest does not expose dataframe keys)."""
    return next(d.value for d in at.dataframe if column in d.value.columns)


def _trace_y(at, key: str, name: str) -> list[float]:
    """The y values of the named trace in the chart with this key (plotly may send them as typed arrays)."""
    chart = next(c for c in at.get("plotly_chart") if c.proto.id.endswith(f"-{key}"))
    trace = next(t for t in json.loads(chart.proto.spec)["data"] if t.get("name") == name)
    y = trace["y"]
    if isinstance(y, dict):
        y = np.frombuffer(base64.b64decode(y["bdata"]), dtype=y["dtype"]).tolist()
    return y


def test_page_on_demo_marks_tiny_caseload_and_shows_reminder(demo_db, demo_manifest):
    at = app_test("pages/therapists.py")
    assert not at.exception
    tiny = demo_manifest["tiny_caseload_therapist"]
    table = _table(at, "Compared with the clinic")
    row = table[table["ID"] == tiny].iloc[0]
    assert row["Compared with the clinic"].startswith("Too few to compare")
    assert row["No-show"] == "—" and row["Mean SRS (95% CI)"] == "—"
    assert list(table["Therapist"]) == sorted(table["Therapist"])  # by name, no rank column
    assert any("within chance" in i.value for i in at.info)
    repairs = [d.proto for d in at.dataframe if "Median sessions to repair" in d.value.columns]
    assert repairs  # the drill-down's rupture table
    for grid in repairs:
        assert json.loads(grid.columns)["Median sessions to repair"]["type_config"]["format"] == "%.1f"
    # Over a year every regular therapist is compared; the new hire with a tiny caseload still is not.
    at = _open(period="12m")
    table = _table(at, "Compared with the clinic")
    too_few = table[table["Compared with the clinic"].str.startswith("Too few")]["ID"].tolist()
    assert too_few == [tiny]
    # Only the open tab of the fair comparison is drawn: the first funnel, then the one chosen; and the trend.
    assert [c.key for c in at.get("plotly_chart")] == ["therapists_funnel_no_show", "therapists_trend"]
    for key, (label, *_) in list(therapists.MEASURES.items())[1:]:
        at.session_state["therapists_fair_tab"] = label
        assert [c.key for c in at.run().get("plotly_chart")] == [f"therapists_funnel_{key}", "therapists_trend"]
    at.session_state["therapists_fair_tab"] = "Alliance (SRS), shrunk"
    assert [c.key for c in at.run().get("plotly_chart")] == ["therapists_alliance", "therapists_trend"]


def test_drill_down_shows_the_sliding_therapist_falling(demo_db, demo_manifest):
    sliding = demo_manifest["sliding_therapist"]
    at = app_test("pages/therapists.py")
    at.selectbox(key="therapists_drill").set_value(sliding).run()
    assert not at.exception
    table = _table(at, "Compared with the clinic")
    names = dict(zip(table["ID"], table["Therapist"], strict=True))
    means = _trace_y(at, "therapists_trend", names[sliding])
    recent, before = sum(means[-3:]) / 3, sum(means[:-4]) / len(means[:-4])
    assert before - recent >= 2.0, (before, recent)
    clinic = _trace_y(at, "therapists_trend", "Clinic")
    assert abs(sum(clinic[:-4]) / len(clinic[:-4]) - sum(clinic[-3:]) / 3) < 1.0  # the clinic did not slide
    sentence = next(m.value for m in at.markdown if m.value.startswith("Mean SRS since"))
    change = float(sentence.split("before (")[1].split(")")[0])
    assert change <= -2.0
    clients = _table(at, "Signals")
    assert clients["Client"].str.startswith("./attention?client=").all()


def test_drill_down_follows_a_therapist_link(demo_db, demo_manifest):
    tiny = demo_manifest["tiny_caseload_therapist"]
    at = _open(therapist=tiny)
    assert not at.exception
    assert at.selectbox(key="therapists_drill").value == tiny
    profile = _table(at, "Against the clinic")
    assert set(profile["Against the clinic"]) == {"too few to compare"}


def test_page_on_empty_database_says_what_to_do(empty_db):
    at = app_test("pages/therapists.py")
    assert not at.exception
    assert any("Import your clinic's CSV exports" in i.value for i in at.info)


def test_a_verdict_against_the_clinic_agrees_with_the_figures_shown():
    """5.27 to 5.31 underneath, but the page shows "3.8 to 5.3" beside a clinic of 5.3: that includes it."""
    assert therapists._against(3.81, 5.31, 5.27).startswith("within chance")
    assert therapists._against(3.81, 5.36, 5.27) == "lower than the clinic"
    assert therapists._against(37.15, 37.0, 38.2) == "higher than the clinic"
    assert therapists._against(0.3004, 0.3, 0.41, 1000).startswith("within chance")  # 30.0% shown on both


def test_standing_names_each_measure_before_its_position():
    row = {"compared": True, "no_show_position": "above 95%", "dropout_position": "within",
           "below_cutoff_position": "below 99.8%"}
    assert therapists._standing(row, 15) == ("No-show rate: above the 95% limit; "
                                              "Sessions rated below 36: below the 99.8% limit")


def test_the_trend_sentence_says_why_there_is_no_comparison():
    since = date(2026, 11, 2)
    both = {"since": since, "recent_n": 40, "recent_mean": 36.0, "earlier_n": 120, "earlier_mean": 37.0,
            "clinic_recent_n": 900, "clinic_recent_mean": 37.1, "clinic_earlier_n": 2700, "clinic_earlier_mean": 37.0}
    assert therapists.trend_sentence(both) == ("Mean SRS since 2026-11-02: 36.0 over 40 ratings, against 37.0 over "
                                               "120 ratings before (-1.0). The clinic moved +0.1 over the same weeks.")
    short = both | {"earlier_n": 0, "earlier_mean": None}
    assert therapists.trend_sentence(short) == (
        "All 40 ratings of the period are from 2026-11-02 on: choose a longer period in the sidebar to compare the "
        "last weeks with the weeks before.")
    quiet = both | {"recent_n": 0, "recent_mean": None}
    assert therapists.trend_sentence(quiet) == "No ratings since 2026-11-02, so no recent change to report."
