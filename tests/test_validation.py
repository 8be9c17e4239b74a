"""The validation report: one small file per problem kind, the exact message and line, and the database
left exactly as it was (every table compared in full) whenever a file is rejected."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import polars as pl
import pytest

from attune import ingest
from attune.contract import Constant

TABLES = ("therapists", "sessions", "feedback", "episodes", "switch_requests", "therapists_history",
          "sessions_history", "feedback_history", "episodes_history", "switch_requests_history",
          "import_batches", "meta")
ROSTER = b"therapist_id,name\nT1,Ann\nT2,Bob\n"
HEADER = b"session_id,client_id,therapist_id,scheduled_at,status\n"


def contents(con) -> dict[str, list[tuple]]:
    """Every row of every table, sorted: two imports leave the same database iff these are equal."""
    return {t: sorted(con.execute(f"SELECT * FROM {t}").fetchall(), key=repr) for t in TABLES}


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


@pytest.fixture
def rostered(con, tmp_path):
    """A database holding a two-therapist roster and one session, as the baseline a bad file must not change."""
    assert ingest.import_file(con, write(tmp_path, "roster.csv", ROSTER)).status == "imported"
    good = write(tmp_path, "first.csv", HEADER + b"S0,C0,T1,2025-03-01 09:00,Show\n")
    assert ingest.import_file(con, good).status == "imported"
    return con


def rejected(con, path: Path, **kwargs) -> ingest.ImportReport:
    """Import a file that must be rejected; assert that nothing in the database changed."""
    before = contents(con)
    report = ingest.import_file(con, path, **kwargs)
    assert report.status in ("rejected", "unreadable"), report.summary
    assert contents(con) == before
    return report


def problems(report: ingest.ImportReport) -> list[tuple]:
    return [(p.line, p.column, p.value, p.message) for p in report.problems]


def test_missing_required_value(rostered, tmp_path):
    path = write(tmp_path, "missing.csv", HEADER + b"S1,C1,T1,2025-04-03 10:00,Show\nS2,,T1,2025-04-03 11:00,DNA\n")
    report = rejected(rostered, path)
    assert problems(report) == [(3, "client_id", None, "a value is required here but the cell is empty")]
    assert (report.rows_read, report.rejected) == (2, 1)
    assert report.summary == ("missing.csv (sessions): not imported: nothing was written. 2 rows read: 0 new, "
                              "0 updated, 0 unchanged, 1 rejected.")


def test_srs_item_and_total_out_of_range(rostered, tmp_path):
    data = (b"session_id,srs_relationship,srs_goals,srs_approach,srs_overall,srs_total\n"
            b"S0,9,9,9,9,36\n"
            b"S1,11,9,9,9,38\n"
            b"S2,,,,,45\n")
    report = rejected(rostered, write(tmp_path, "range.csv", data))
    assert problems(report) == [
        (3, "srs_relationship", "11", "11 is outside the allowed range 0 to 10"),
        (4, "srs_total", "45", "45 is outside the allowed range 0 to 40")]


def test_unknown_status_word(rostered, tmp_path):
    path = write(tmp_path, "status.csv", HEADER + b"S1,C1,T1,2025-04-03 10:00,Rescheduled\n")
    report = rejected(rostered, path)
    assert problems(report) == [(2, "status", "Rescheduled", '"Rescheduled" is not a known status word (expected '
                                 "one of: attended, no_show, late_cancel, cancelled, clinician_cancel; or map it "
                                 "to one of them on the Data page)")]


def test_unparseable_date(rostered, tmp_path):
    path = write(tmp_path, "date.csv", HEADER + b"S1,C1,T1,2025-04-03 10:00,Show\nS2,C1,T1,2025-02-30 10:00,Show\n")
    report = rejected(rostered, path)
    assert problems(report) == [(3, "scheduled_at", "2025-02-30 10:00",
                                 '"2025-02-30 10:00" is not a date in the format year-month-day (2025-04-03)')]


def test_implausible_year(rostered, tmp_path):
    path = write(tmp_path, "year.csv", HEADER + b"S1,C1,T1,0025-04-03 10:00,Show\n")
    report = rejected(rostered, path)
    assert problems(report) == [(2, "scheduled_at", "0025-04-03 10:00",
                                 '"0025-04-03 10:00" reads as the year 25, which is not plausible')]


def test_duplicate_id_with_conflicting_values(rostered, tmp_path):
    data = HEADER + (b"S1,C1,T1,2025-04-03 10:00,Show\n"
                     b"S2,C1,T1,2025-04-10 10:00,Show\n"
                     b"S1,C1,T2,2025-04-03 10:00,Show\n"  # line 4: same id, other therapist
                     b"S2,C1,T1,2025-04-10 10:00,Show\n")  # line 5: exact repeat of line 3, counted once
    report = rejected(rostered, write(tmp_path, "dup.csv", data))
    message = "the same session id appears on lines 2, 4 with different values"
    assert problems(report) == [(2, "session_id", "S1", message), (4, "session_id", "S1", message)]
    assert "1 line repeats an earlier line exactly and was counted once." in report.notes
    report = ingest.import_file(rostered, write(tmp_path, "dup.csv", data), keep_valid=True)
    assert (report.inserted, report.rejected) == (1, 2)
    assert rostered.execute("SELECT session_id, source_line FROM sessions WHERE session_id <> 'S0'").fetchall() == [
        ("S2", 3)]


def test_session_for_a_therapist_not_in_the_roster(rostered, tmp_path):
    path = write(tmp_path, "roster_gap.csv", HEADER + b"S1,C1,T7,2025-04-03 10:00,Show\n")
    report = rejected(rostered, path)
    assert problems(report) == [(2, "therapist_id", "T7", 'therapist "T7" is not in the therapist roster '
                                 "(import the roster first, or add them to it)")]


def test_no_roster_check_without_a_roster(con, tmp_path):
    path = write(tmp_path, "no_roster.csv", HEADER + b"S1,C1,T7,2025-04-03 10:00,Show\n")
    assert ingest.import_file(con, path).status == "imported"


def test_total_disagrees_with_items(rostered, tmp_path):
    data = (b"session_id,srs_relationship,srs_goals,srs_approach,srs_overall,srs_total\n"
            b"S0,9.5,9,8.5,9,36\n"
            b"S1,9,9,9,9,30\n")
    report = rejected(rostered, write(tmp_path, "totals.csv", data))
    assert problems(report) == [(3, "srs_total", "30", "the total 30 does not equal the sum of the four items 36")]


def test_rating_needs_an_identity_and_a_score(rostered, tmp_path):
    data = b"client_id,srs_total,ors_total\nC1,36,\n,,\nC2,,\n"
    report = rejected(rostered, write(tmp_path, "ident.csv", data), kind="feedback")
    need = "each rating needs a session_id, or client_id, therapist_id and rated_on together"
    assert problems(report) == [(2, "session_id", None, need), (4, "session_id", None, need),
                                (4, None, None, "the row has no SRS or ORS score")]
    assert "1 empty line (no values at all) skipped." in report.notes


def test_ratings_for_sessions_not_yet_imported_are_kept_and_said(rostered, tmp_path):
    """A feedback export may come before its sessions: such ratings are kept, but count nowhere until their
    session arrives, so the report names one (and the batch keeps the note). A rating that carries its own
    client, therapist and date stands without its session and is not mentioned."""
    data = (b"session_id,client_id,therapist_id,rated_on,srs_total\n"
            b"S0,,,,36\n"  # the rostered session
            b"S8,,,,35\n"  # not in the database
            b"S9,C9,T1,2025-03-02,34\n")  # not in the database either, but placed by its own columns
    report = ingest.import_file(rostered, write(tmp_path, "early.csv", data))
    note = ("1 rating names a session not in the database (e.g. S8): kept, but counted nowhere until that session "
            "is imported. Import the sessions export, or check the session ids.")
    assert report.status == "imported" and report.inserted == 3 and note in report.notes
    assert rostered.execute("SELECT notes FROM import_batches WHERE batch_id = $b",
                            {"b": report.batch_id}).fetchall()[0][0].count(note) == 1
    placed = data.replace(b"S8,,,,35", b"S7,C7,T2,2025-03-03,35")
    report = ingest.import_file(rostered, write(tmp_path, "placed.csv", placed))
    assert report.status == "imported" and report.inserted == 1
    assert not any("not in the database" in n for n in report.notes)


def test_whole_number_expected(rostered, tmp_path):
    path = write(tmp_path, "num.csv", HEADER.replace(b"\n", b",session_number\n")
                 + b"S1,C1,T1,2025-04-03 10:00,Show,1.5\n")
    report = rejected(rostered, path)
    assert problems(report) == [(2, "session_number", "1.5", '"1.5" is not a whole number')]


def test_missing_required_column(rostered, tmp_path):
    path = write(tmp_path, "nocol.csv", b"session_id,therapist_id,scheduled_at\nS1,T1,2025-04-03\n")
    report = rejected(rostered, path)
    assert problems(report) == [(None, "client_id", None, "The file has no 'client_id' column (also accepted: "
                                 "client, patient_id, patient, client_number, client_no); it is required.")]


def test_ambiguous_dates_are_asked_not_guessed(rostered, tmp_path):
    path = write(tmp_path, "amb.csv", HEADER + b"S1,C1,T1,03/04/2025 10:00,Show\nS2,C1,T1,05/06/2025 10:00,Show\n")
    report = rejected(rostered, path)
    assert report.problems[0].message == (
        "The dates in column 'scheduled_at' (e.g. 03/04/2025 10:00) could be day/month/year or month/day/year. "
        "Choose the date format for this file (--date-format dmy or mdy).")
    assert ingest.import_file(rostered, path, date_format="dmy").status == "imported"
    assert rostered.execute("SELECT scheduled_at FROM sessions WHERE session_id = 'S1'").fetchall() == [
        (datetime(2025, 4, 3, 10, 0),)]


@pytest.mark.parametrize(("dates", "expected"), [
    ((b"13/04/2025", b"03/04/2025"), date(2025, 4, 3)),  # 13 can only be a day: day-first
    ((b"04/13/2025", b"04/03/2025"), date(2025, 4, 3)),  # 13 can only be a day: month-first
    ((b"3 April 2025", b"2025-04-03"), date(2025, 4, 3)),
    ((b"04/13/2025 2:30 PM", b"04/03/2025 2:30 PM"), date(2025, 4, 3)),
])
def test_unambiguous_date_orders_are_recognised(con, tmp_path, dates, expected):
    data = HEADER + b"S1,C1,T1," + dates[0] + b",Show\nS2,C1,T1," + dates[1] + b",Show\n"
    report = ingest.import_file(con, write(tmp_path, "d.csv", data))
    assert report.status == "imported", report.problems
    assert con.execute("SELECT scheduled_at::DATE FROM sessions WHERE session_id = 'S2'").fetchall() == [(expected,)]


def test_keep_valid_imports_good_rows_and_writes_rejects_with_reasons(rostered, tmp_path):
    data = HEADER + (b"S1,C1,T1,2025-04-03 10:00,Show\n"
                     b'S2,C1,T1,2025-04-10 10:00,"Maybe, later"\n'
                     b"S3,,T1,2025-04-17 10:00,DNA\n"
                     b"S4,C1,T1,2025-04-24 10:00,=cmd()\n")
    before = contents(rostered)
    report = ingest.import_file(rostered, write(tmp_path, "mixed.csv", data), keep_valid=True,
                                rejects_dir=tmp_path / "rejects")
    assert (report.status, report.inserted, report.rejected, report.problem_count) == ("imported", 1, 3, 3)
    after = contents(rostered)
    assert [r[0] for r in after["sessions"]] == ["S0", "S1"]
    assert after["therapists"] == before["therapists"]
    rejects = pl.read_csv(report.rejects_file, infer_schema=False)
    status_msg = ("is not a known status word (expected one of: attended, no_show, late_cancel, cancelled, "
                  "clinician_cancel; or map it to one of them on the Data page)")
    assert rejects.rows() == [
        ("3", "S2", "C1", "T1", "2025-04-10 10:00", "Maybe, later", f'status: "Maybe, later" {status_msg}'),
        ("4", "S3", None, "T1", "2025-04-17 10:00", "DNA", "client_id: a value is required here but the cell is empty"),
        ("5", "S4", "C1", "T1", "2025-04-24 10:00", "'=cmd()", f'status: "=cmd()" {status_msg}'),
    ]
    assert rejects.columns == ["line", "session_id", "client_id", "therapist_id", "scheduled_at", "status", "reason"]


def test_keep_valid_with_every_row_bad_writes_nothing(rostered, tmp_path):
    path = write(tmp_path, "allbad.csv", HEADER + b"S1,,T1,2025-04-03 10:00,Show\n")
    report = rejected(rostered, path, keep_valid=True)
    assert report.status == "rejected" and "Every row has a problem, so nothing was imported." in report.notes


def test_mapping_with_constant_and_value_words(con, tmp_path):
    data = b"Ref;Who;By;When;Outcome\nR1;P1;T1;03/04/2025;Kept\nR2;P1;T1;10/04/2025;Walked out\n"
    mapping = {"session_id": 0, "client_id": 1, "therapist_id": 2, "scheduled_at": 3, "status": 4,
               "site": Constant("North")}
    values = {"status": {"Kept": "attended", "walked  OUT": "late_cancel"}}
    report = ingest.import_file(con, write(tmp_path, "foreign.csv", data), kind="sessions", mapping=mapping,
                                values=values, date_format="dmy")
    assert report.status == "imported", report.problems
    assert con.execute("SELECT session_id, scheduled_at, status, site FROM sessions ORDER BY 1").fetchall() == [
        ("R1", datetime(2025, 4, 3), "attended", "North"), ("R2", datetime(2025, 4, 10), "late_cancel", "North")]


def test_appointments_not_held_yet_are_left_out_and_said(rostered, tmp_path):
    """A diary export lists next week's bookings too: they have no outcome, so they are left out (whatever else
    their row holds: T9 is not in the roster) and the report says how many. A word the analyst maps to not_held
    is left out the same way."""
    data = HEADER + (b"S1,C1,T1,2025-03-03 09:00,Show\n"
                     b"S2,C1,T1,2025-03-10 09:00,Scheduled\n"
                     b"S3,C2,T9,2025-03-11 09:00,Booked\n"
                     b"S4,C2,T2,2025-03-12 09:00,Tentative\n")
    report = ingest.import_file(rostered, write(tmp_path, "diary.csv", data),
                                values={"status": {"tentative": "not_held"}})
    assert report.status == "imported" and (report.rows_read, report.inserted, report.rejected) == (4, 1, 0)
    assert ("3 appointments not held yet (a status such as Scheduled or Booked) were left out: a session counts "
            "once it has an outcome, and a later export that gives them one imports them.") in report.notes
    assert rostered.execute("SELECT session_id, status FROM sessions ORDER BY 1").fetchall() == [
        ("S0", "attended"), ("S1", "attended")]


def test_a_file_of_appointments_not_held_yet_imports_nothing(rostered, tmp_path):
    before = contents(rostered)
    report = ingest.import_file(rostered, write(tmp_path, "next-week.csv",
                                                HEADER + b"S5,C1,T1,2025-03-17 09:00,Booked\n"))
    assert contents(rostered) == before and report.status == "unreadable"
    assert report.problems[0].message.startswith("Every row is an appointment not held yet")


def test_problem_report_names_the_analysts_own_columns(con, tmp_path):
    data = b"Appointment ID,Patient ID,Clinician,Date of Service,Appointment Status\nA1,P1,T1,2025-04-03,Huh\n"
    report = rejected(con, write(tmp_path, "pm.csv", data))
    assert [p.describe() for p in report.problems] == [
        "line 2, column 'Appointment Status': \"Huh\" is not a known status word (expected one of: attended, "
        "no_show, late_cancel, cancelled, clinician_cancel; or map it to one of them on the Data page)"]
    frame = report.problems_frame()
    assert frame.columns == ["file", "line", "column", "value", "problem"]
    assert frame.row(0)[:4] == ("pm.csv", 2, "Appointment Status", "Huh")
