"""The demo clinic: realistic distributions and the planted cases a supervisor should find."""

from datetime import date, timedelta

import polars as pl
import pytest

from attune import demo


@pytest.fixture(scope="module")
def clinic():
    return demo.generate(seed=1)


def test_default_size_and_shape(clinic):
    assert clinic.therapists.height == 12
    assert clinic.therapists["site"].n_unique() == 2
    assert clinic.therapists["supervisor"].n_unique() == 3
    assert 3000 <= clinic.sessions.height <= 6000
    first, last = clinic.sessions["scheduled_at"].min(), clinic.sessions["scheduled_at"].max()
    assert (last - first).days >= 16 * 30


def test_srs_clusters_near_the_top_with_a_ceiling(clinic):
    totals = clinic.feedback["srs_total"]
    assert 35.5 <= totals.mean() <= 38.0
    assert totals.max() <= 40.0
    items = clinic.feedback.select(pl.col("^srs_(relationship|goals|approach|overall)$"))
    assert items.max().max_horizontal()[0] <= 10.0
    summed = clinic.feedback.select(pl.sum_horizontal(pl.col("^srs_(relationship|goals|approach|overall)$")))
    assert (summed.to_series() - totals).abs().max() < 0.05


def test_no_show_rate_and_weekday_and_first_session_effects(clinic):
    s = clinic.sessions.filter(pl.col("status").is_in(["attended", "no_show", "late_cancel"]))
    rate = (s["status"] == "no_show").mean()
    assert 0.13 <= rate <= 0.22
    first = s.filter(pl.col("session_number") == 1)["status"].eq("no_show").mean()
    later = s.filter(pl.col("session_number") > 1)["status"].eq("no_show").mean()
    assert first > later * 1.4
    by_day = s.with_columns(wd=pl.col("scheduled_at").dt.weekday()).group_by("wd").agg(
        pl.col("status").eq("no_show").mean().alias("rate"))
    rates = dict(by_day.iter_rows())
    assert (rates[1] + rates[5]) / 2 > (rates[2] + rates[3] + rates[4]) / 3
    assert set(clinic.sessions["status"].unique()) <= {"attended", "no_show", "late_cancel", "cancelled",
                                                       "clinician_cancel"}


def test_appointments_spread_over_the_working_week(clinic):
    """Weekend sessions were all moved to the Monday after: Mondays had three times any other day's."""
    per_day = clinic.sessions.group_by(pl.col("scheduled_at").dt.weekday().alias("wd")).len()
    counts = dict(per_day.iter_rows())
    assert set(counts) == {1, 2, 3, 4, 5}
    assert max(counts.values()) < 1.25 * min(counts.values())


def test_dropout_near_one_in_five_and_switches_rare(clinic):
    ended = clinic.episodes.filter(pl.col("end_reason").is_not_null())
    dropout = (ended["end_reason"] == "dropout").mean()
    assert 0.14 <= dropout <= 0.27
    clients = clinic.sessions["client_id"].n_unique()
    assert 0.005 <= clinic.switch_requests.height / clients <= 0.06
    assert clinic.switch_requests["reason"].null_count() == 0


def test_planted_sliding_therapist(clinic):
    sliding = clinic.planted["sliding_therapist"]
    end = date.fromisoformat(clinic.planted["end"])
    rated = clinic.feedback.join(clinic.sessions, on="session_id")
    recent = rated.filter(pl.col("scheduled_at").dt.date() > end - timedelta(weeks=3))
    before = rated.filter(pl.col("scheduled_at").dt.date().is_between(end - timedelta(weeks=30),
                                                                       end - timedelta(weeks=9)))
    drop = (before.filter(pl.col("therapist_id") == sliding)["srs_total"].mean()
            - recent.filter(pl.col("therapist_id") == sliding)["srs_total"].mean())
    others = (before.filter(pl.col("therapist_id") != sliding)["srs_total"].mean()
              - recent.filter(pl.col("therapist_id") != sliding)["srs_total"].mean())
    assert drop >= 2.5
    assert drop > others + 2


def test_planted_sharp_drops_no_shows_and_switch(clinic):
    rated = clinic.feedback.join(clinic.sessions, on="session_id").sort("scheduled_at")
    for case in clinic.planted["sharp_drop"]:
        totals = rated.filter(pl.col("client_id") == case["client_id"])["srs_total"].to_list()
        assert totals[-2] - totals[-1] >= 5
    noshow = clinic.planted["repeated_no_shows"][0]["client_id"]
    statuses = clinic.sessions.filter(pl.col("client_id") == noshow).sort("scheduled_at")["status"].to_list()
    assert statuses[-3:] == ["no_show"] * 3
    switch_client = clinic.planted["switch_after_low_scores"][0]["client_id"]
    request = clinic.switch_requests.filter(pl.col("client_id") == switch_client)
    assert request.height == 1 and request["status"][0] == "open"
    low = rated.filter(pl.col("client_id") == switch_client)["srs_total"]
    assert low.max() < 36


def test_tiny_caseload_therapist(clinic):
    tiny = clinic.planted["tiny_caseload_therapist"]
    clients = clinic.sessions.filter(pl.col("therapist_id") == tiny)["client_id"].n_unique()
    assert 1 <= clients < 15


def test_seed_reproducible_and_scales(tmp_path):
    a, b = demo.generate(seed=7, sessions=3000), demo.generate(seed=7, sessions=3000)
    assert a.sessions.equals(b.sessions)
    big = demo.generate(seed=2, sessions=100_000)
    assert 90_000 <= big.sessions.height <= 115_000
    assert big.therapists.height == 40
    paths = big.write(tmp_path / "big")
    header = paths["sessions"].read_text().splitlines()[0]
    assert header == "session_id,client_id,therapist_id,scheduled_at,status,session_number,site,service"
