"""Dropout on hand-written clinics: rates by therapist, early dropout, early alliance, Kaplan–Meier with
censoring, and the gap-rule estimate shared with the Overview when there is no episodes export.

Episodes export (tests/hand_clinic.py), period January–March 2026:
  C1/T1 dropout after 1 attended session (early), first SRS 30
  C2/T1 planned ending after 4, early SRS (38 + 37) / 2 = 37.5
  C3/T1 still in therapy after 3 (censored)
  C4/T2 dropout after 3, early SRS (34 + 36) / 2 = 35
  C5/T2 switched after 2, early SRS (38 + 39) / 2 = 38.5
"""

from datetime import date

import polars as pl
import pytest

from attune import dropout, overview
from attune.filters import Filters
from tests import hand_clinic

Q1 = Filters(date(2026, 1, 1), date(2026, 3, 31))


@pytest.fixture
def episodes(built_copy):
    return dropout.episodes(built_copy(hand_clinic.dropout_clinic).cursor(), Q1)


def test_episode_rows_from_the_export(episodes):
    rows = {r["client_id"]: r for r in episodes.iter_rows(named=True)}
    assert {c: r["attended_sessions"] for c, r in rows.items()} == {"C1": 1, "C2": 4, "C3": 3, "C4": 3, "C5": 2}
    assert {c: r["early_srs"] for c, r in rows.items()} == {"C1": 30.0, "C2": 37.5, "C3": None, "C4": 35.0,
                                                            "C5": 38.5}
    assert rows["C4"]["last_srs"] == 20.0
    assert not episodes["estimated"].any()


def test_summary_counts_rates_and_early_dropout(episodes):
    facts = dropout.summary(episodes)
    assert (facts["ended"], facts["dropouts"], facts["early_dropouts"], facts["active"]) == (4, 2, 1, 1)
    assert facts["dropout_rate"] == pytest.approx(0.5)
    assert facts["early_rate"] == pytest.approx(0.25)
    assert facts["estimated"] is False


def test_by_therapist_with_intervals(episodes):
    table = dropout.by_therapist(episodes)
    assert table.select("therapist_id", "ended", "dropouts", "early_dropouts", "active").rows() == [
        ("T1", 2, 1, 1, 1), ("T2", 2, 1, 0, 0)]
    assert table["dropout_rate"].to_list() == [0.5, 0.5]
    # Wilson 95% for 1 of 2: 0.0945-0.9055.
    assert table["dropout_low"][0] == pytest.approx(0.0945, abs=1e-4)
    assert table["dropout_high"][0] == pytest.approx(0.9055, abs=1e-4)
    assert table["dropout_small"].all()


def test_therapist_table_writes_rates_with_denominators(episodes):
    table = dropout.therapist_table(dropout.by_therapist(episodes))
    assert table.row(0) == ("Ann Archer (T1)", 2, "50.0% of 2", "9.5–90.5%", "50.0% of 2", 1)
    assert table.row(1)[4] == "0.0% of 2"


def test_dropout_by_early_srs(episodes):
    split = dropout.by_early_srs(episodes, 36.0)
    assert split.select("group", "ended", "dropouts").rows() == [("Early SRS below 36", 2, 2),
                                                                 ("Early SRS 36 or above", 2, 0)]
    assert dropout.alliance_table(split)["Dropout rate"].to_list() == ["100.0% of 2", "0.0% of 2"]


def test_retention_censors_active_and_other_endings(episodes):
    curve = dropout.retention(episodes, event="dropout")
    # durations 1(d) 2(c, switched) 3(d) 3(c, active) 4(c, planned): S = 0.8, 0.8, 0.8 * 2/3, 0.8 * 2/3.
    assert curve["time"].to_list() == [1, 2, 3, 4]
    assert curve["at_risk"].to_list() == [5, 4, 3, 1]
    assert curve["censored"].to_list() == [0, 1, 1, 1]
    assert curve["survival"].to_list() == pytest.approx([0.8, 0.8, 0.8 * 2 / 3, 0.8 * 2 / 3])
    every = dropout.retention(episodes, event="any")
    # Any ending counts; only C3 (active) is censored: S = 4/5, 3/5, 2/5, 0.
    assert every["survival"].to_list() == pytest.approx([0.8, 0.6, 0.4, 0.0])
    assert every["censored"].to_list() == [0, 0, 1, 0]


def test_retention_per_therapist(episodes):
    curves = dropout.retention(episodes, ["T1"], event="dropout")
    assert curves["group"].unique(maintain_order=True).to_list() == [dropout.CLINIC, "Ann Archer (T1)"]
    t1 = curves.filter(pl.col("group") == "Ann Archer (T1)")
    # T1: C1 drops out after 1 of 3 at risk; C3 and C2 are censored at 3 and 4.
    assert t1["survival"].to_list() == pytest.approx([2 / 3, 2 / 3, 2 / 3])
    assert t1["censored"].to_list() == [0, 1, 1]


def test_cohort_is_episodes_started_in_the_period(episodes):
    february = dropout.flag(episodes, Filters(date(2026, 2, 1), date(2026, 2, 28)))
    assert dropout.retention(february).is_empty()  # every episode started in January
    assert dropout.summary(february)["ended"] == 2  # C1 (20 Feb) and C5 (15 Feb) ended in February


def test_gap_rule_estimate_matches_the_overview(con, tmp_path):
    hand_clinic.estimate_clinic(con, tmp_path / "exports")
    episodes = dropout.episodes(con.cursor(), Q1)
    assert episodes["estimated"].all()
    rows = {r["client_id"]: r for r in episodes.iter_rows(named=True)}
    # C1: last attended 12 Jan, last booking missed, 42 days passed before 30 Mar -> dropout ending 12 Jan.
    assert (rows["C1"]["end_date"], rows["C1"]["end_reason"], rows["C1"]["attended_sessions"]) == (
        date(2026, 1, 12), "dropout", 2)
    # C2: last booking attended -> ended, not a dropout. C3 attended on 30 Mar -> still active.
    assert (rows["C2"]["end_date"], rows["C2"]["end_reason"]) == (date(2026, 1, 20), "ended")
    assert rows["C3"]["end_date"] is None
    assert "C4" not in rows  # never attended: no episode
    # C5: two bookings at the last time, one attended: not a dropout (the tie never depends on row order).
    assert (rows["C5"]["end_date"], rows["C5"]["end_reason"]) == (date(2026, 1, 12), "ended")
    facts = dropout.summary(episodes)
    assert (facts["dropouts"], facts["ended"], facts["early_dropouts"]) == (1, 3, 1)
    headline = overview.headline_row(con.cursor(), Q1.params())
    assert (headline["dropouts"], headline["ended_episodes"], headline["dropout_estimated"]) == (1, 3, True)
    assert "estimated" in dropout.definition(True)


def test_dropouts_table(episodes):
    table = dropout.dropouts_table(episodes)
    assert table.select("Client", "Ended", "Sessions attended", "Early SRS", "Last SRS").rows() == [
        ("C4", "2026-03-01", 3, "35.0", "20.0"), ("C1", "2026-02-20", 1, "30.0", "30.0")]


def test_page_data_holds_what_the_page_shows_in_one_result(con, tmp_path):
    hand_clinic.dropout_clinic(con, tmp_path / "exports")
    data = dropout.page_data(con.cursor(), Q1, 36.0)
    assert data.facts == dropout.summary(data.episodes) and data.facts["dropouts"] == 2
    assert data.names == {"T1": data.episodes.filter(pl.col("therapist_id") == "T1")["therapist_name"][0],
                          "T2": data.episodes.filter(pl.col("therapist_id") == "T2")["therapist_name"][0]}
    assert data.therapists.equals(dropout.by_therapist(data.episodes).filter(pl.col("ended") > 0))
    assert data.split.equals(dropout.by_early_srs(data.episodes, 36.0))
    assert sorted(data.dropped["Client"].to_list()) == ["C1", "C4"]
