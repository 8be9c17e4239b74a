"""Exported files: filters in the name and header, suppression on aggregate tables only, safe spreadsheets."""

import io
from datetime import date

import openpyxl
import polars as pl

from attune import exports
from attune.filters import Filters

FILTERS = Filters(date(2026, 10, 24), date(2026, 11, 20), therapist_ids=("T03",), supervisors=("Haddad team",))
AGGREGATE = pl.DataFrame({"therapist": ["A", "B", "C"], "clients": [25, 4, 31],
                          "no_show_rate": ["12.0% of 100", "20.0% of 20", "10.0% of 60"]})
ROWS = pl.DataFrame({"client": ["C1", "C2"], "session_number": [1, 2], "reason": ["=HYPERLINK(\"x\")", "fit"],
                     "requested": [date(2026, 11, 3), date(2026, 11, 9)]})


def read_csv(data: bytes) -> tuple[list[str], pl.DataFrame]:
    text = data.decode("utf-8")
    header = [line[2:] for line in text.splitlines() if line.startswith("# ")]
    return header, pl.read_csv(io.StringIO(text), comment_prefix="#", infer_schema=False)


def test_file_name_and_header_carry_the_filters():
    assert exports.export_name("Lowest mean SRS", FILTERS, "csv") == (
        "attune-lowest-mean-srs-2026-10-24-to-2026-11-20-T03-Haddad-team.csv")
    header, _ = read_csv(exports.export_csv(exports.prepare(ROWS, "sessions", FILTERS, aggregate=False)))
    assert header == ["Attune export: sessions",
                      "filters: 2026-10-24 to 2026-11-20; therapists: T03; teams: Haddad team"]


def test_aggregate_export_suppresses_small_counts_and_says_so():
    header, frame = read_csv(exports.export_csv(exports.prepare(AGGREGATE, "by therapist", FILTERS)))
    assert frame["clients"].to_list() == ["suppressed", "suppressed", "31"]
    assert frame["no_show_rate"][1] == "suppressed"  # 4 no-shows: a small count inside a rate
    assert header[-1].startswith("privacy: counts below 10")


def test_row_level_export_is_the_table_as_shown():
    _, frame = read_csv(exports.export_csv(exports.prepare(ROWS, "sessions", FILTERS, aggregate=False)))
    assert frame["session_number"].to_list() == ["1", "2"]
    assert frame["requested"].to_list() == ["2026-11-03", "2026-11-09"]
    assert frame["reason"].to_list() == ["'=HYPERLINK(\"x\")", "fit"]  # a formula becomes text


def test_excel_has_the_header_the_table_and_no_formulas():
    data = exports.export_xlsx(exports.prepare(ROWS, "sessions", FILTERS, aggregate=False))
    sheet = openpyxl.load_workbook(io.BytesIO(data)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "Attune export: sessions" and rows[1][0].startswith("filters: 2026-10-24")
    assert rows[3] == ("client", "session_number", "reason", "requested")
    assert rows[4][:3] == ("C1", 1, "=HYPERLINK(\"x\")")
    assert sheet.cell(row=5, column=3).data_type == "s"  # stored as text, never evaluated
    assert rows[4][3].date() == date(2026, 11, 3)


def test_excel_of_an_aggregate_table_is_suppressed_too():
    data = exports.export_xlsx(exports.prepare(AGGREGATE, "by therapist", FILTERS))
    rows = list(openpyxl.load_workbook(io.BytesIO(data)).active.iter_rows(values_only=True))
    table = rows[rows.index(("therapist", "clients", "no_show_rate")) + 1:]
    assert [r[1] for r in table] == ["suppressed", "suppressed", "31"]


def test_lists_are_written_as_text():
    frame = pl.DataFrame({"therapist": ["A"], "sites": [["North", "South"]]})
    _, read = read_csv(exports.export_csv(exports.prepare(frame, "t", None, aggregate=False)))
    assert read["sites"].to_list() == ["North; South"]
