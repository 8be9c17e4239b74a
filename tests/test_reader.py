"""Robust reading: encodings, delimiters, quoting, line endings, blank lines, spaces, duplicated headers,
missing-value markers, .xlsx sheets, formula-like text, and clear messages for files that cannot be read.

Every file is written by the test, byte for byte; expectations are worked out by hand from those bytes.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import openpyxl
import polars as pl
import pytest

from attune import exports, ingest
from attune.reader import UnreadableFileError, detect_encoding, display_headers, inspect_file

ROSTER = b"therapist_id,name\nT1,Ann\nT2,Bob\n"
SESSION_HEADER = "session_id,client_id,therapist_id,scheduled_at,status"


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def rows(con, sql: str) -> list[tuple]:
    return con.execute(sql).fetchall()


TABLES = ("therapists", "sessions", "feedback", "episodes", "switch_requests", "sessions_history", "import_batches",
          "meta")


def contents(con) -> dict[str, list[tuple]]:
    return {t: sorted(con.execute(f"SELECT * FROM {t}").fetchall(), key=repr) for t in TABLES}


def test_utf16_with_bom(con, tmp_path):
    path = write(tmp_path, "u16.csv", "therapist_id\tname\r\nT1\tZoë\r\n".encode("utf-16"))
    report = ingest.import_file(con, path)
    assert report.status == "imported"
    assert rows(con, "SELECT therapist_id, name FROM therapists") == [("T1", "Zoë")]


def test_utf8_with_bom(con, tmp_path):
    path = write(tmp_path, "bom.csv", b"\xef\xbb\xbftherapist_id,name\nT1,Zo\xc3\xab\n")
    report = ingest.import_file(con, path)
    assert (report.status, report.kind, report.inserted) == ("imported", "therapists", 1)
    assert rows(con, "SELECT therapist_id, name FROM therapists") == [("T1", "Zoë")]


def test_windows_1252_is_transcoded(con, tmp_path):
    # 0xEB is ë and 0x92 a right single quote in Windows-1252 (in Latin-1 0x92 is a control character).
    path = write(tmp_path, "cp1252.csv", b"therapist_id,name\nT1,Zo\xeb O\x92Neill\n")
    report = ingest.import_file(con, path)
    assert report.status == "imported"
    assert rows(con, "SELECT name FROM therapists") == [("Zoë O\u2019Neill",)]


def test_latin1_when_not_windows_1252(con, tmp_path):
    # 0x81 is undefined in Windows-1252, so the file is read as Latin-1 (where it is a control character).
    sample = b"therapist_id,name\nT1,Ren\xe9e\x81\n"
    assert detect_encoding(sample, whole_file_is_utf8=False) == "latin-1"
    report = ingest.import_file(con, write(tmp_path, "latin1.csv", sample))
    assert report.status == "imported"
    assert rows(con, "SELECT name FROM therapists") == [("Renée\x81",)]


def test_non_utf8_byte_late_in_a_large_file_is_still_detected(con, tmp_path):
    # The first 256 KB are plain ASCII; the only accented byte comes after them.
    body = b"".join(b"T%06d,Name %06d\n" % (i, i) for i in range(20_000))
    assert len(body) > 256 * 1024
    path = write(tmp_path, "late.csv", b"therapist_id,name\n" + body + b"T999999,Jos\xe9\n")
    report = ingest.import_file(con, path)
    assert report.status == "imported" and report.inserted == 20_001
    assert rows(con, "SELECT name FROM therapists WHERE therapist_id = 'T999999'") == [("José",)]


@pytest.mark.parametrize("delimiter", [b";", b"\t", b","])
def test_delimiters(con, tmp_path, delimiter):
    data = delimiter.join([b"therapist_id", b"name", b"site"]) + b"\n" + delimiter.join([b"T1", b"Ann", b"North"])
    report = ingest.import_file(con, write(tmp_path, "d.csv", data + b"\n"))
    assert report.status == "imported"
    assert rows(con, "SELECT therapist_id, name, site FROM therapists") == [("T1", "Ann", "North")]


def test_quoted_newlines_and_delimiters_keep_exact_values_and_line_numbers(con, tmp_path):
    data = (b"session_id,srs_total,comment\n"
            b'S1,36,"Liked it, mostly.\nWill come back"\n'  # lines 2-3
            b'S2,37,"a ""quoted"" word; and a comma, too"\n'  # line 4
            b"S3,41,\n")  # line 5: out of range
    report = ingest.import_file(con, write(tmp_path, "q.csv", data))
    assert report.status == "rejected"
    assert [(p.line, p.column, p.message) for p in report.problems] == [
        (5, "srs_total", "41 is outside the allowed range 0 to 40")]
    report = ingest.import_file(con, write(tmp_path, "q.csv", data), keep_valid=True)
    assert rows(con, "SELECT session_id, comment, source_line FROM feedback ORDER BY session_id") == [
        ("S1", "Liked it, mostly.\nWill come back", 2), ("S2", 'a "quoted" word; and a comma, too', 4)]


def test_crlf_and_blank_lines_give_physical_line_numbers(con, tmp_path):
    data = (b"\r\n" + SESSION_HEADER.encode() + b"\r\n"  # header on line 2
            b"S1,C1,T1,2025-04-03 10:00,Show\r\n"  # line 3
            b"\r\n\r\n"  # lines 4-5 blank
            b"S2,C1,T1,2025-04-10 10:00,Show\r\n"  # line 6
            b",,,,\r\n"  # line 7: every cell empty, skipped
            b"S3,C1,T1,2025-04-17 10:00,Sometimes\r\n")  # line 8
    path = write(tmp_path, "crlf.csv", data)
    report = ingest.import_file(con, path)
    assert [(p.line, p.column, p.value) for p in report.problems] == [(8, "status", "Sometimes")]
    assert "1 empty line (no values at all) skipped." in report.notes
    report = ingest.import_file(con, path, keep_valid=True)
    assert (report.rows_read, report.inserted, report.rejected) == (3, 2, 1)
    assert rows(con, "SELECT session_id, source_line FROM sessions ORDER BY 1") == [("S1", 3), ("S2", 6)]


def test_trailing_spaces_in_headers_and_values(con, tmp_path):
    data = b" therapist_id , Name \nT1  ,  Ann Lee  \n"
    report = ingest.import_file(con, write(tmp_path, "sp.csv", data))
    assert report.kind == "therapists" and report.status == "imported"
    assert rows(con, "SELECT therapist_id, name FROM therapists") == [("T1", "Ann Lee")]


def test_duplicated_header_names_are_told_apart(con, tmp_path):
    data = (b"session_id,client_id,therapist_id,Date,Date,status\n"
            b"S1,C1,T1,2025-04-03 10:00,2025-04-01,Show\n")
    path = write(tmp_path, "dup.csv", data)
    info = inspect_file(path)
    assert info.headers == ("session_id", "client_id", "therapist_id", "Date", "Date", "status")
    assert info.labels == ("session_id", "client_id", "therapist_id", "Date", "Date (2)", "status")
    assert display_headers(["", "x", ""]) == ("(column 1)", "x", "(column 3)")
    report = ingest.import_file(con, path)
    assert report.status == "imported"
    assert rows(con, "SELECT scheduled_at FROM sessions") == [(datetime(2025, 4, 3, 10, 0),)]


def test_spreadsheet_missing_value_markers(con, tmp_path):
    data = (SESSION_HEADER + ",site,service,session_number\n"
            "S1,C1,T1,2025-04-03 10:00,Show,#NULL!,NA,N/A\n"
            "S2,C1,T1,2025-04-10 10:00,Show,,n/a,#N/A\n"
            "S3,#NULL!,T1,2025-04-17 10:00,Show,North,Adult,3\n").encode()
    report = ingest.import_file(con, write(tmp_path, "na.csv", data))
    assert [(p.line, p.column, p.value, p.message) for p in report.problems] == [
        (4, "client_id", None, "a value is required here but the cell is empty")]
    ingest.import_file(con, write(tmp_path, "na.csv", data), keep_valid=True)
    assert rows(con, "SELECT session_id, site, service, session_number FROM sessions ORDER BY 1") == [
        ("S1", None, None, None), ("S2", None, None, None)]


def test_formula_like_cells_are_stored_as_text_and_neutralised_on_export(con, tmp_path):
    data = b'therapist_id,name,site\nT1,"=HYPERLINK(""http://x"",""y"")",+44 20 7946\nT2,@SUM(A1),-North\n'
    report = ingest.import_file(con, write(tmp_path, "f.csv", data))
    assert report.status == "imported"
    stored = rows(con, "SELECT therapist_id, name, site FROM therapists ORDER BY 1")
    assert stored == [("T1", '=HYPERLINK("http://x","y")', "+44 20 7946"), ("T2", "@SUM(A1)", "-North")]
    frame = pl.DataFrame(stored, schema=["therapist_id", "name", "site"], orient="row")
    exported = exports.csv_bytes(frame, None).decode().splitlines()
    assert exported[2:] == ["T1,\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\",'+44 20 7946", "T2,'@SUM(A1),'-North"]


def _workbook(tmp_path: Path) -> Path:
    wb = openpyxl.Workbook()
    wb.active.title = "Read me"
    wb.active.append(["This workbook holds the appointment report on the next sheet."])
    sheet = wb.create_sheet("Appointments")
    sheet.append([])  # row 1 empty: the header is on row 2
    sheet.append(["Appointment ID", "Patient ID", "Clinician", "Date of Service", "Status", "Visit number"])
    sheet.append(["A1", "P1", "T1", datetime(2025, 4, 3, 10, 0), "Show", 1])  # row 3
    sheet.append([None] * 6)  # row 4 blank
    sheet.append(["A2", 17, "T1", datetime(2025, 4, 4), "Late canceled", 2.0])  # row 5
    sheet.append(["A3", "P3", "T1", datetime(2025, 4, 5, 9, 30), "Unknown word", 3])  # row 6
    path = tmp_path / "report.xlsx"
    wb.save(path)
    return path


def test_xlsx_chosen_sheet_with_sheet_row_numbers(con, tmp_path):
    path = _workbook(tmp_path)
    report = ingest.import_file(con, path, sheet="Appointments")
    assert report.kind == "sessions" and report.status == "rejected"
    assert [(p.unit, p.line, p.column, p.value) for p in report.problems] == [(
        "row", 6, "Status", "Unknown word")]
    report = ingest.import_file(con, path, sheet="Appointments", keep_valid=True)
    assert (report.inserted, report.rejected) == (2, 1)
    assert rows(con, "SELECT session_id, client_id, scheduled_at, status, session_number, source_line "
                     "FROM sessions ORDER BY 1") == [
        ("A1", "P1", datetime(2025, 4, 3, 10, 0), "attended", 1, 3),
        ("A2", "17", datetime(2025, 4, 4, 0, 0), "late_cancel", 2, 5)]


def test_xlsx_first_sheet_by_default_and_unknown_sheet(con, tmp_path):
    path = _workbook(tmp_path)
    report = ingest.import_file(con, path)
    assert report.status == "unreadable"
    assert report.problems[0].message.startswith("No recognisable columns: the header (This workbook holds")
    report = ingest.import_file(con, path, sheet="Sheet9")
    assert report.problems[0].message == ("report.xlsx has no sheet named 'Sheet9' "
                                          "(sheets: Read me, Appointments).")


@pytest.mark.parametrize(("name", "data", "message"), [
    ("empty.csv", b"", "empty.csv is empty: there is nothing to import."),
    ("blank.csv", b"\n\r\n   \n", "blank.csv has no rows, only blank lines."),
    ("photo.csv", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01\x00", "photo.csv is not a text (CSV) file. "
     "Export the data as CSV or .xlsx and try again."),
    ("old.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "old.xls is an old-style Excel (.xls) file. "
     "Open it in Excel and save it as .xlsx or CSV, then import that."),
    ("weird.csv", b"colour,flavour\nred,sweet\n", "No recognisable columns: the header (colour, flavour) matches "
     "none of sessions, feedback, episodes, switch requests or therapist roster. Map the columns on the Data "
     "page or with --mapping."),
    ("header_only.csv", b"therapist_id,name\n", "header_only.csv has a header but no rows of data."),
    ("fake.xlsx", b"PK\x03\x04not really a zip", None),
])
def test_unreadable_files_get_a_clear_message(con, tmp_path, name, data, message):
    ingest.import_file(con, write(tmp_path, "roster.csv", ROSTER))
    before = contents(con)
    report = ingest.import_file(con, write(tmp_path, name, data))
    assert contents(con) == before
    assert report.status == "unreadable"
    if message is None:
        assert report.problems[0].message.startswith("fake.xlsx is a zip archive but not a readable Excel")
    else:
        assert [p.message for p in report.problems] == [message]


def test_a_small_export_with_stray_control_characters_is_text(con, tmp_path):
    """Pasted values sometimes carry a bell or escape character; a short file with a few is still a CSV."""
    ingest.import_file(con, write(tmp_path, "roster.csv", ROSTER))
    data = (SESSION_HEADER + "\nS1,C\x07x,T1,2026-01-05 10:00,attended\nS2,C\x1b2,T1,2026-01-06 10:00,attended\n")
    report = ingest.import_file(con, write(tmp_path, "pasted.csv", data.encode()))
    assert report.status == "imported", report.summary
    assert rows(con, "SELECT client_id FROM sessions ORDER BY session_id") == [("C\x07x",), ("C\x1b2",)]


def test_inspect_raises_for_unreadable(tmp_path):
    with pytest.raises(UnreadableFileError, match="is empty"):
        inspect_file(write(tmp_path, "e.csv", b""))


def test_structural_errors_reject_the_file_with_their_lines(con, tmp_path):
    data = (b"therapist_id,name\n"
            b"T1,Ann\n"
            b"T2,Bob,extra\n"  # line 3: one field too many
            b"T3\n"  # line 4: one too few
            b"T4,Dee,\n")  # line 5: a trailing delimiter with nothing after it is fine
    ingest.import_file(con, write(tmp_path, "roster.csv", ROSTER))
    before = contents(con)
    report = ingest.import_file(con, write(tmp_path, "s.csv", data))
    assert contents(con) == before
    assert report.status == "rejected"
    assert [(p.line, p.message) for p in report.problems] == [
        (3, "this line has 3 fields, more fields than the header (2): a stray delimiter, or a value that should "
            "be quoted?"),
        (4, "this line has 1 field, fewer fields than the header (2)")]


@pytest.mark.parametrize(("tail", "runs"), [(b"T5,Eve\n", "the record runs to line 5"),
                                            (b"", "it runs to the end of the file")])
def test_an_unclosed_quote_is_named_as_the_problem(con, tmp_path, tail, runs):
    """A quote opened and never closed swallows the line break after it: the analyst is told about the quote,
    not only that the line came out short, also when the swallowed line is the file's last."""
    data = b"therapist_id,name,site\nT1,Ann,North\nT2,Bob,North\nT3,\"Cy,North\n" + tail
    before = contents(con)
    report = ingest.import_file(con, write(tmp_path, "quote.csv", data))
    assert contents(con) == before and report.status == "rejected"
    assert [(p.line, p.message) for p in report.problems] == [
        (4, f"a quoted value that starts on this line is not closed where expected ({runs})")]


def test_status_column_absent_counts_sessions_as_attended(con, tmp_path):
    data = b"appointment_id,patient_id,clinician,date_of_service,billing_code\nA1,P1,T1,2025-04-03,90834\n"
    report = ingest.import_file(con, write(tmp_path, "billing.csv", data))
    assert report.status == "imported"
    assert report.notes == ["This export has no status column: every row counts as attended."]
    assert rows(con, "SELECT session_id, status FROM sessions") == [("A1", "attended")]


def test_preview_shows_first_rows_under_unique_labels(tmp_path):
    from attune.reader import preview

    path = write(tmp_path, "p.csv", b"a,a,b\n\n1,2,3\n4,5,6\n")
    frame = preview(inspect_file(path), rows=1)
    assert frame.columns == ["a", "a (2)", "b"]
    assert frame.rows() == [("1", "2", "3")]


def test_roster_order_helper_reads_headers_cheaply(tmp_path):
    from attune.reader import peek_headers

    assert peek_headers(write(tmp_path, "r.csv", b"\n therapist_id ;name\n")) == ("therapist_id", "name")
    assert peek_headers(_workbook(tmp_path))[0].startswith("This workbook")
    assert peek_headers(tmp_path / "missing.csv") is None


def test_an_import_clears_what_killed_imports_left_behind_and_nothing_else(con, write_csv, tmp_path, monkeypatch):
    import os
    import tempfile
    import time

    from tests.test_ingest_core import SESSIONS

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    two_days_ago = time.time() - 2 * 24 * 3600
    left = {name: tmp_path / name for name in ("attune-import-killed", "attune-import-running",
                                               "attune-uploads", "someone-elses")}
    for name, folder in left.items():
        folder.mkdir()
        (folder / "copy.csv").write_text("a,b\n")
        if name != "attune-import-running":
            os.utime(folder, (two_days_ago, two_days_ago))
    report = ingest.import_file(con, write_csv("sessions.csv", SESSIONS))
    assert report.status == "imported"
    assert sorted(p.name for p in tmp_path.iterdir() if p.name in left) == [
        "attune-import-running", "attune-uploads", "someone-elses"]
    assert [p.name for p in tmp_path.glob("attune-import-*")] == ["attune-import-running"]  # its own is gone too
