"""Attendance rates on a hand-written clinic: every rate's numerator and denominator checked by hand.

The clinic (tests/hand_clinic.py): 13 bookings, 4 attended, 4 no-shows, 1 late cancellation, 1 cancellation in
good time, 3 clinician cancellations. No-show denominator = attended + no-shows + late cancellations = 9.
"""

from datetime import date

import polars as pl
import pytest

from attune import attendance, db
from attune.filters import Filters
from tests import hand_clinic

MARCH_APRIL = Filters(date(2026, 3, 1), date(2026, 4, 30))


@pytest.fixture
def clinic(built_copy):
    return built_copy(hand_clinic.attendance_clinic)


def counts(frame: pl.DataFrame, dimension: str) -> dict[str, tuple]:
    rows = attendance.dimension(frame, dimension)
    return {r["level"]: (r["no_show"], r["kept"], r["late_cancel"], r["clinician_cancel"], r["booked"])
            for r in rows.iter_rows(named=True)}


def test_totals_keep_cancellations_out_of_the_denominator(clinic):
    frame = attendance.breakdown(clinic.cursor(), MARCH_APRIL)
    total = attendance.totals(frame)
    assert (total["booked"], total["attended"], total["no_show"], total["late_cancel"], total["cancelled"],
            total["clinician_cancel"], total["kept"]) == (13, 4, 4, 1, 1, 3, 9)
    assert total["no_show_rate"] == pytest.approx(4 / 9)
    assert total["late_cancel_rate"] == pytest.approx(1 / 9)
    assert total["clinician_cancel_rate"] == pytest.approx(3 / 13)  # of all bookings
    assert total["no_show_small"]  # 9 < 20


def test_by_therapist_weekday_hour_and_visit(clinic):
    frame = attendance.breakdown(clinic.cursor(), MARCH_APRIL)
    # (no-shows, denominator, late cancellations, clinician cancellations, bookings)
    assert counts(frame, "therapist") == {"Ann Archer (T1)": (3, 6, 1, 3, 10), "Bo Berg (T2)": (1, 3, 0, 0, 3)}
    assert counts(frame, "weekday") == {"Mon": (2, 4, 1, 1, 6), "Tue": (1, 2, 0, 2, 4), "Wed": (1, 3, 0, 0, 3)}
    assert attendance.dimension(frame, "weekday")["level"].to_list() == ["Mon", "Tue", "Wed"]
    assert counts(frame, "hour") == {"09:00": (2, 4, 1, 1, 6), "10:00": (1, 3, 0, 0, 3), "17:00": (1, 2, 0, 2, 4)}
    assert counts(frame, "visit") == {"First appointment": (1, 3, 0, 0, 3), "Follow-up": (3, 6, 1, 3, 10)}
    assert counts(frame, "site") == {"North": (3, 6, 1, 3, 10), "Riverside": (1, 3, 0, 0, 3)}
    assert counts(frame, "service") == {"Adult": (3, 6, 1, 3, 10), "Couples": (1, 3, 0, 0, 3)}
    grid = attendance.dimension(frame, "weekday_hour")
    assert set(zip(grid["weekday"], grid["hour"], grid["no_show"], strict=True)) == {(1, 9, 2), (2, 17, 1),
                                                                                     (3, 10, 1)}


def test_by_session_number_with_nothing_to_divide_by(clinic):
    frame = attendance.breakdown(clinic.cursor(), MARCH_APRIL)
    sessions = attendance.dimension(frame, "session")
    assert sessions["level"].to_list() == ["1 (first)", "2", "3", "4", "5", "6–10"]
    assert sessions["no_show"].to_list() == [1, 1, 2, 0, 0, 0]
    assert sessions["kept"].to_list() == [3, 3, 2, 1, 0, 0]
    # Session 5 was only cancelled in good time, session 6 only by the clinician: no rate, not 0%.
    assert sessions["no_show_rate"].to_list()[4:] == [None, None]


def test_rate_table_writes_rates_with_denominators(clinic):
    frame = attendance.breakdown(clinic.cursor(), MARCH_APRIL)
    table = attendance.rate_table(attendance.dimension(frame, "therapist"), "Therapist")
    first = table.row(0, named=True)
    assert first["No-show rate"] == "50.0% of 6"
    assert first["Late-cancellation rate"] == "16.7% of 6"
    assert first["Clinician cancellations (of bookings)"] == "30.0% of 10"
    assert first["Denominator"] == "small"


def test_filters_apply(clinic):
    only_t2 = Filters(date(2026, 3, 1), date(2026, 4, 30), therapist_ids=("T2",))
    assert attendance.totals(attendance.breakdown(clinic.cursor(), only_t2))["no_show_rate"] == pytest.approx(1 / 3)
    march = Filters(date(2026, 3, 1), date(2026, 3, 31))  # drops S06 (a clinician cancellation on 6 April)
    assert attendance.totals(attendance.breakdown(clinic.cursor(), march))["clinician_cancel"] == 2
    nothing = Filters(date(2025, 1, 1), date(2025, 1, 31))
    assert attendance.totals(attendance.breakdown(clinic.cursor(), nothing)) is None


def test_weekly_trend(clinic):
    trend = attendance.trend(clinic.cursor(), MARCH_APRIL, "week")
    assert trend["period"].to_list()[0] == date(2026, 3, 2)
    week1 = trend.row(0, named=True)  # S01 attended, S07 no-show, S11 attended
    assert (week1["no_show"], week1["kept"]) == (1, 3)
    assert trend["booked"].sum() == 13
    monthly = attendance.trend(clinic.cursor(), MARCH_APRIL, "month")
    assert monthly["period"].to_list() == [date(2026, 3, 1), date(2026, 4, 1)]
    with pytest.raises(ValueError):
        attendance.trend(clinic.cursor(), MARCH_APRIL, "day")


def test_repeated_no_shows_and_clinician_cancellations(clinic):
    pairs = attendance.client_counts(clinic.cursor(), MARCH_APRIL, 2)
    repeated = attendance.repeated_no_shows(pairs, 2)
    assert repeated.select("Client", "Therapist", "No-shows", "No-show rate", "No-shows since last attended",
                           "Last no-show", "Last attended").rows() == [
        ("C1", "Ann Archer (T1)", 2, "50.0% of 4", 2, "2026-03-16", "2026-03-02")]
    assert attendance.repeated_no_shows(pairs, 3).is_empty()
    cancelled = attendance.repeated_clinician_cancels(pairs, 2)
    assert cancelled.select("Client", "Cancelled by clinician", "Bookings").rows() == [("C2", 2, 4)]


def test_session_number_falls_back_to_booking_order(con, tmp_path):
    no_numbers = "\n".join(",".join(line.split(",")[:5] + line.split(",")[6:])
                           for line in hand_clinic.ATTENDANCE_SESSIONS.strip().splitlines())
    hand_clinic.load(con, tmp_path / "x", therapists=hand_clinic.ROSTER, sessions=no_numbers)
    assert db.run_query(con.cursor(), "data_extent")["sessions"][0] == 13
    frame = attendance.breakdown(con.cursor(), MARCH_APRIL)
    assert counts(frame, "visit")["First appointment"] == (1, 3, 0, 0, 3)
    assert attendance.dimension(frame, "session")["kept"].to_list() == [3, 3, 2, 1, 0, 0]


def test_a_chart_of_many_therapists_keeps_those_standing_out_and_says_so():
    from attune import rate_charts

    n = 100
    rows = pl.DataFrame({"level": [f"T{i:03d}" for i in range(n)],
                         "no_show_low": [0.10] * n, "no_show_high": [0.30] * n})
    rows = rows.with_columns(  # T007 surely above the rest, T042 surely below, everyone else alike
        no_show_low=pl.when(pl.col("level") == "T007").then(0.5).otherwise(pl.col("no_show_low")),
        no_show_high=pl.when(pl.col("level") == "T042").then(0.05).otherwise(pl.col("no_show_high")))
    shown = rate_charts.standing_out(rows, "no_show", limit=10)
    assert shown.height == 10 and {"T007", "T042"} <= set(shown["level"])
    assert shown["level"].to_list() == sorted(shown["level"])  # in the breakdown's own order
    assert rate_charts.standing_out_note(shown, rows).startswith("The chart shows the 10 of 100 therapists")
    few = rows.head(10)
    assert rate_charts.standing_out(few, "no_show", limit=10).equals(few)
    assert rate_charts.standing_out_note(few, few) == ""
