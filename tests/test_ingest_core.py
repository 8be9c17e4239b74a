"""The importer core: round trip of the sample exports, idempotency, updates, bad rows, undo."""

import json
import subprocess
import sys
import time

import polars as pl
import pytest

from attune import batches, db, ingest
from tests.conftest import ROOT

SESSIONS = """
session_id,client_id,therapist_id,scheduled_at,status,session_number,site,service
S1,C1,T1,2025-01-06 09:00,attended,1,North,Adult
S2,C1,T1,2025-01-13 09:00,no_show,2,North,Adult
S3,C2,T2,2025-01-14 10:00,attended,1,North,Adult
"""


def table(con, name: str) -> list[tuple]:
    return con.execute(f"SELECT * FROM {name} ORDER BY ALL").fetchall()


def test_sample_exports_round_trip(con, demo_exports):
    for kind in ("therapists", "sessions", "feedback", "episodes", "switch_requests"):
        report = ingest.import_file(con, demo_exports / f"{kind}.csv")
        assert report.kind == kind and report.status == "imported"
        source = pl.read_csv(demo_exports / f"{kind}.csv")
        assert report.inserted == source.height
        assert con.execute(f"SELECT count(*) FROM {kind}").fetchall()[0][0] == source.height
    stored = db.run_query(con, "data_extent")
    sessions = pl.read_csv(demo_exports / "sessions.csv", try_parse_dates=True)
    assert stored["last_session"][0] == sessions["scheduled_at"].max()
    srs = con.execute("SELECT sum(srs_total) FROM feedback").fetchall()[0][0]
    assert srs == pytest.approx(pl.read_csv(demo_exports / "feedback.csv")["srs_total"].sum())


def test_reimport_changes_nothing_and_says_so(con, write_csv):
    path = write_csv("sessions.csv", SESSIONS)
    first = ingest.import_file(con, path)
    before = table(con, "sessions")
    again = ingest.import_file(con, path)
    assert (first.inserted, again.inserted, again.unchanged, again.status) == (3, 0, 3, "unchanged")
    assert "nothing changed" in again.summary
    assert table(con, "sessions") == before
    assert con.execute("SELECT count(*) FROM import_batches").fetchall()[0][0] == 1


def test_newer_export_updates_rows_and_undo_restores_them(con, write_csv):
    ingest.import_file(con, write_csv("sessions.csv", SESSIONS))
    original = table(con, "sessions")
    newer = SESSIONS.replace("S2,C1,T1,2025-01-13 09:00,no_show", "S2,C1,T1,2025-01-13 09:00,attended") + \
        "S4,C2,T2,2025-01-21 10:00,attended,2,North,Adult\n"
    report = ingest.import_file(con, write_csv("sessions_v2.csv", newer))
    assert (report.inserted, report.updated, report.unchanged) == (1, 1, 2)
    assert con.execute("SELECT status FROM sessions WHERE session_id = 'S2'").fetchall() == [("attended",)]
    result = batches.undo_batch(con, report.batch_id)
    assert result == {"batch_id": report.batch_id, "removed": 1, "restored": 1}
    assert table(con, "sessions") == original
    with pytest.raises(batches.UndoError, match="already undone"):
        batches.undo_batch(con, report.batch_id)


def test_undo_refuses_when_a_later_batch_changed_its_rows(con, write_csv):
    first = ingest.import_file(con, write_csv("a.csv", SESSIONS))
    ingest.import_file(con, write_csv("b.csv", SESSIONS.replace(",no_show,", ",attended,")))
    with pytest.raises(batches.UndoError, match="undo batch 2 first"):
        batches.undo_batch(con, first.batch_id)


def test_bad_row_is_reported_with_its_line_and_nothing_is_written(con, write_csv):
    bad = SESSIONS + "S5,C3,T1,2025-02-30 10:00,attended,1,North,Adult\nS6,C3,T1,2025-02-03 10:00,maybe,2,North,Adult\n"
    report = ingest.import_file(con, write_csv("bad.csv", bad))
    assert report.status == "rejected" and report.rejected == 2
    assert [(p.line, p.column) for p in report.problems] == [(5, "scheduled_at"), (6, "status")]
    assert '"2025-02-30 10:00" is not a date' in report.problems[0].message
    assert '"maybe" is not a known status word' in report.problems[1].message
    assert table(con, "sessions") == []
    assert table(con, "import_batches") == []


def test_keep_valid_imports_the_rest(con, write_csv):
    bad = SESSIONS + "S5,,T1,2025-02-03 10:00,attended,1,North,Adult\n"
    report = ingest.import_file(con, write_csv("bad.csv", bad), keep_valid=True)
    assert (report.status, report.inserted, report.rejected) == ("imported", 3, 1)
    assert report.problems[0].line == 5 and report.problems[0].column == "client_id"


def test_structural_error_writes_nothing(con, write_csv):
    broken = SESSIONS + "S5,C3,T1,2025-02-03 10:00,attended,1,North,Adult,extra,fields\n"
    report = ingest.import_file(con, write_csv("broken.csv", broken), keep_valid=True)
    assert report.status == "rejected"
    assert report.problems[0].line == 5 and "more fields than the header" in report.problems[0].message
    assert table(con, "sessions") == []


def test_line_numbers_count_physical_lines(con, write_csv):
    text = ('session_id,client_id,therapist_id,scheduled_at,status\n'
            'S1,C1,T1,2025-01-06 09:00,attended\n'
            '"S2\nwith a newline",C1,T1,2025-01-07 09:00,attended\n'
            '\n'
            'S3,C1,T1,2025-01-08 09:00,bogus\n')
    report = ingest.import_file(con, write_csv("nl.csv", text.encode()))
    assert [p.line for p in report.problems] == [6]


def test_scores_out_of_range_and_totals_that_disagree(con, write_csv):
    feedback = """
    session_id,srs_relationship,srs_goals,srs_approach,srs_overall,srs_total
    S1,9,9,9,9,36
    S2,11,9,9,9,38
    S3,9,9,9,9,45
    S4,9,9,9,9,30
    """
    report = ingest.import_file(con, write_csv("fb.csv", feedback))
    described = [(p.line, p.column, p.message) for p in report.problems]
    assert (3, "srs_relationship", "11 is outside the allowed range 0 to 10") in described
    assert (4, "srs_total", "45 is outside the allowed range 0 to 40") in described
    assert any(line == 5 and "does not equal the sum of the four items 36" in msg for line, _, msg in described)
    assert report.rejected == 3


def test_sessions_without_status_count_as_attended(con, write_csv):
    billing = """
    appointment_id,patient_id,provider,date_of_service
    A1,P1,Dr Lee,2025-03-03
    """
    report = ingest.import_file(con, write_csv("billing.csv", billing))
    assert report.kind == "sessions" and report.status == "imported"
    assert any("no status column: every row counts as attended" in n for n in report.notes)
    assert con.execute("SELECT status, therapist_id FROM sessions").fetchall() == [("attended", "Dr Lee")]


def test_status_words_from_practice_management_systems(con, write_csv):
    rows = ["Show", "No show", "Canceled", "Late canceled", "Clinician canceled", "Arrived", "Unarrived",
            "DNA", "Missed", "No-Show"]
    text = "session_id,client_id,therapist_id,scheduled_at,status\n" + "".join(
        f"S{i},C1,T1,2025-01-{i + 1:02d} 09:00,{word}\n" for i, word in enumerate(rows))
    report = ingest.import_file(con, write_csv("words.csv", text.encode()))
    assert report.status == "imported", report.problems
    stored = [r[0] for r in con.execute("SELECT status FROM sessions ORDER BY scheduled_at").fetchall()]
    assert stored == ["attended", "no_show", "cancelled", "late_cancel", "clinician_cancel", "attended",
                      "no_show", "no_show", "no_show", "no_show"]


def test_ambiguous_dates_are_asked_about(con, write_csv):
    text = "session_id,client_id,therapist_id,scheduled_at\nS1,C1,T1,03/04/2025\nS2,C1,T1,05/06/2025\n"
    report = ingest.import_file(con, write_csv("amb.csv", text.encode()))
    assert report.status == "unreadable" and "could be day/month/year or month/day/year" in report.problems[0].message
    report = ingest.import_file(con, write_csv("amb.csv", text.encode()), date_format="dmy")
    assert report.status == "imported"
    assert str(con.execute("SELECT min(scheduled_at) FROM sessions").fetchall()[0][0]) == "2025-04-03 00:00:00"


def test_unrecognisable_and_empty_files(con, write_csv):
    empty = ingest.import_file(con, write_csv("empty.csv", b""))
    assert empty.status == "unreadable" and "is empty" in empty.problems[0].message
    odd = ingest.import_file(con, write_csv("odd.csv", "colour,size\nred,3\n"))
    assert odd.status == "unreadable" and "No recognisable columns" in odd.problems[0].message
    binary = ingest.import_file(con, write_csv("x.csv", b"\x00\x01\x02PK\x03\x04" * 50))
    assert binary.status == "unreadable" and "not a text (CSV) file" in binary.problems[0].message


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "attune.cli", *args], capture_output=True, text=True,
                          cwd=ROOT, timeout=300)


def test_cli_import_json_and_exit_codes(tmp_path, demo_exports, write_csv):
    target = tmp_path / "cli.duckdb"
    files = sorted(str(p) for p in demo_exports.glob("*.csv"))
    first = run_cli("import", *files, "--db", str(target), "--json")
    assert first.returncode == 0, first.stderr
    summary = json.loads(first.stdout)
    assert summary["inserted"]["sessions"] == pl.read_csv(demo_exports / "sessions.csv").height
    assert summary["attention_list_seconds"] > 0  # stored once, after every file
    assert all("attention_list" not in report["seconds"] for report in summary["files"])
    again = json.loads(run_cli("import", *files, "--db", str(target), "--json").stdout)
    assert set(again["inserted"].values()) == {0}
    assert again["attention_list_seconds"] is None  # nothing imported, nothing to store
    bad = write_csv("bad.csv", SESSIONS + "S9,C1,T1,soon,attended,1,North,Adult\n")
    rejected = run_cli("import", str(bad), "--db", str(target), "--json")
    assert rejected.returncode == 1
    # The demo roster has no T1/T2, so lines 2-5 are also reported for the roster; the date is on line 5.
    problems = json.loads(rejected.stdout)["files"][0]["problems"]
    assert [p["line"] for p in problems if p["column"] == "scheduled_at"] == [5]
    unreadable = run_cli("import", str(write_csv("e.csv", b"")), "--db", str(target))
    assert unreadable.returncode == 2


def test_direct_identifiers_are_left_out_with_a_warning(con, write_csv):
    text = ("session_id,client_id,Client Name,therapist_id,scheduled_at,status,Email,DOB\n"
            "S1,C1,Jane Doe,T1,2025-01-06 09:00,attended,jane@example.org,1980-02-03\n")
    report = ingest.import_file(con, write_csv("with_names.csv", text.encode()))
    assert report.status == "imported"
    assert any("Client Name, Email, DOB" in note and "pseudonymous ids only" in note for note in report.notes)
    stored = str(con.execute("SELECT * FROM sessions").fetchall())
    assert "Jane" not in stored and "jane@example.org" not in stored and "1980" not in stored
    roster = ingest.import_file(con, write_csv("roster.csv", "therapist_id,name\nT1,Ann Lee\n"))
    assert not any("identify people" in note for note in roster.notes)


def test_imports_and_undos_are_audited_in_their_own_transaction(con, write_csv):
    report = ingest.import_file(con, write_csv("s.csv", SESSIONS), imported_by="ana@clinic.org")
    batches.undo_batch(con, report.batch_id, undone_by="ana@clinic.org")
    events = con.execute('SELECT actor, action, detail FROM audit_log ORDER BY event_id').fetchall()
    assert [(a, b) for a, b, _ in events] == [("ana@clinic.org", "import"), ("ana@clinic.org", "undo")]
    assert "3 new" in events[0][2]
    rejected = ingest.import_file(con, write_csv("bad.csv", SESSIONS + "S9,C1,T1,soon,attended,1,North,Adult\n"))
    assert rejected.status == "rejected"
    assert con.execute("SELECT count(*) FROM audit_log").fetchall()[0][0] == 2  # nothing written, nothing logged


def _progress_of(con, path) -> tuple[ingest.ImportReport, list[tuple[float, str]]]:
    steps: list[tuple[float, str]] = []
    report = ingest.import_file(con, path, progress=lambda fraction, message: steps.append((fraction, message)))
    return report, steps


def test_progress_moves_forward_and_names_each_step_of_an_import(con, write_csv):
    report, steps = _progress_of(con, write_csv("sessions.csv", SESSIONS))
    fractions, messages = [f for f, _ in steps], [m for _, m in steps]
    assert report.status == "imported"
    assert fractions == sorted(fractions) and fractions[0] == 0.0 and fractions[-1] == 1.0
    assert messages[:2] == ["Opening sessions.csv", "Reading sessions.csv"]
    assert messages.index("Comparing with the database") < messages.index("Updating the summary tables") \
        < messages.index("Updating the attention list")
    assert messages[-1] == report.summary


def test_the_report_says_how_long_each_step_took(con, write_csv):
    started = time.perf_counter()
    report = ingest.import_file(con, write_csv("sessions.csv", SESSIONS))
    took = time.perf_counter() - started
    assert list(report.seconds) == ["opening", "reading", "checking", "repeated_ids", "merging", "summary_tables",
                                    "attention_list", "committing"]
    assert all(seconds > 0 for seconds in report.seconds.values())
    assert sum(report.seconds.values()) <= took
    bad = ingest.import_file(con, write_csv("bad.csv", SESSIONS.replace("2025-01-14 10:00", "someday")))
    assert list(bad.seconds) == ["opening", "reading", "checking", "repeated_ids", "rolling_back"]


def test_a_rejected_or_unchanged_file_does_not_claim_to_update_anything(con, write_csv):
    path = write_csv("sessions.csv", SESSIONS)
    ingest.import_file(con, path)
    again, steps = _progress_of(con, path)
    bad, bad_steps = _progress_of(con, write_csv("bad.csv", SESSIONS.replace("2025-01-14 10:00", "someday")))
    assert (again.status, bad.status) == ("unchanged", "rejected")
    for taken in (steps, bad_steps):
        messages = [m for _, m in taken]
        assert "Updating the summary tables" not in messages and "Updating the attention list" not in messages
