"""The fast record scan (attune/records.py) gives exactly the csv walk's answer, or gives up."""

from __future__ import annotations

import dataclasses
from array import array
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from attune import reader, records
from attune.reader import inspect_file, read_csv_params, scan_records

HEADER = "session_id,client_id,therapist_id,status"


def both_scans(path: Path) -> tuple[records.Scan | None, records.Scan, bool]:
    """The fast scan (None: it gave up), the csv walk, and whether the file is plain (no quotes)."""
    info = inspect_file(path)
    assert info.scannable
    fast = records.scan_fast(info.path, info.header_line, len(info.headers), info.delimiter)
    return fast, walk(info), info.plain


def walk(info):
    return scan_records(dataclasses.replace(info, scannable=False))


def write(tmp_path: Path, text: str, newline: str = "\n") -> Path:
    path = tmp_path / "export.csv"
    path.write_bytes(text.replace("\n", newline).encode("utf-8"))
    return path


@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_awkward_plain_file_scans_like_the_csv_walk(tmp_path, newline):
    text = "\n".join([
        "", HEADER,  # a blank line before the header
        "S1,C1,T1,attended",
        "",  # blank
        "   ",  # only spaces
        "S2,C2,T2,attended,,",  # trailing delimiters, as spreadsheets write them
        "S3,C3,T3",  # a field short
        "S4,C4,T4,attended,extra",  # a field over
        "S5,C5,T5,attended",
    ])  # and no final line break
    fast, walked, plain = both_scans(write(tmp_path, text, newline))
    assert plain
    assert list(fast.lines) == list(walked.lines) == [3, 6, 9]
    assert fast.problems == walked.problems
    assert [line for line, _ in fast.problems] == [7, 8]
    assert "fewer fields" in fast.problems[0][1] and "more fields" in fast.problems[1][1]


def test_records_split_across_chunks_keep_their_line_numbers(tmp_path, monkeypatch):
    rows = [f"S{i},C{i % 7},T{i % 3},attended" for i in range(2000)]
    rows[777] = "S777,C0,T0"  # a broken row somewhere in the middle
    path = write(tmp_path, HEADER + "\n" + "\n".join(rows) + "\n")
    monkeypatch.setattr(records, "CHUNK_BYTES", 1000)  # many chunks, cut mid-line
    fast, walked, plain = both_scans(path)
    assert plain and fast.lines == walked.lines and fast.problems == walked.problems
    assert fast.problems[0][0] == 779 and len(fast.lines) == 1999


@pytest.mark.parametrize(("text", "scannable", "plain"), [
    (f"{HEADER}\nS1,C1,T1,attended\n", True, True),
    (f'{HEADER}\nS1,"C1",T1,attended\n', True, False),  # a quote: records may span lines, read serially
    (f"{HEADER}\nS1,C1,T1,att\rended\n", False, False),  # a lone carriage return ends a line for the csv module
])
def test_which_files_take_the_fast_scan_and_the_parallel_read(tmp_path, text, scannable, plain):
    info = inspect_file(write(tmp_path, text))
    assert (info.scannable, info.plain) == (scannable, plain)
    assert read_csv_params(info)["parallel"] is plain


def test_scannable_means_no_nul_and_no_lone_carriage_return():
    assert records.is_scannable(b"a,b\r\nc,d\r")  # the \r\n may be cut between two chunks
    assert records.is_scannable(b"\nc,d", ends_previous_with_cr=True)
    assert records.is_scannable(b'a,"b\r\nc"\r\n')
    assert not records.is_scannable(b"c,d", ends_previous_with_cr=True)
    assert not records.is_scannable(b"a,\x00\n") and not records.is_scannable(b'a,"b\rc"\n')


QUOTED = [
    'session_id,client_id,therapist_id,"comment, free text"',  # line 1
    'S1,C1,T1,"plain quoted"',
    'S2,C2,T2,"with, a delimiter; and ""doubled"" quotes"',
    'S3,C3,T3,"three\nlines, of\ntext"',  # lines 4-6
    'S4,"",T4,""',  # quoted empty fields
    '""',  # a line with one empty field: skipped like a blank line
    'S5,C5,"T5\nstill T5"',  # lines 9-10, a field short
    'S6,C6,T6,"a ""quoted"" end",,',  # trailing delimiters
    'S7,C7,T7,"x",y',  # a field over
    '"""",C8,T8,""""',  # a value that is one quote
    'S9,C9,T9,"last\nline"',  # lines 14-15, and no final line break
]


@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_quoted_values_scan_like_the_csv_walk(tmp_path, newline):
    fast, walked, plain = both_scans(write(tmp_path, "\n".join(QUOTED), newline))
    assert not plain and fast is not None
    assert fast == walked
    assert list(fast.lines) == [2, 3, 4, 7, 11, 13, 14]
    assert [line for line, _ in fast.problems] == [9, 12]
    assert "runs to line 10" in fast.problems[0][1] and "more fields" in fast.problems[1][1]


@pytest.mark.parametrize("chunk", [5, 64, 1000])
def test_quoted_records_split_across_chunks_keep_their_line_numbers(tmp_path, monkeypatch, chunk):
    rows = [f'S{i},C{i % 7},T{i % 3},"note {i},\nsecond ""line""\r\n{"x" * (i % 90)}"' if i % 4 else f"S{i},C1,T1,"
            for i in range(400)]
    rows[177] = 'S177,C0,"T0\nT0"'  # a broken record somewhere in the middle
    path = write(tmp_path, HEADER + "\n" + "\n".join(rows) + "\n")
    monkeypatch.setattr(records, "CHUNK_BYTES", chunk)  # cut mid-record, some records longer than a chunk
    fast, walked, plain = both_scans(path)
    assert not plain and fast is not None
    assert fast == walked
    assert len(fast.lines) == 399
    assert fast.problems[0][0] == 2 + sum(3 if i % 4 else 1 for i in range(177))  # quoted \n and \r\n count


@pytest.mark.parametrize("rows", [
    'S1,ab"c,T1,x',  # a quote inside a value is a literal character to the csv module
    'S1,ab"c,T1,x\nS2,C2,T"2,y',  # ... two of them would even up the count
    'S1,"b"c,T1,x',  # text after a closing quote joins the value
    'S1, "b",T1,x',  # a quote after a space does not open a quoted value
    'S1,C1,T1,x""',  # two literal quotes at the end of a value
])
def test_quotes_the_csv_module_reads_differently_take_the_csv_walk(tmp_path, rows):
    fast, walked, _ = both_scans(write(tmp_path, f"{HEADER}\n{rows}\nS3,C3,T3,z\n"))
    assert fast is None
    assert scan_records(inspect_file(tmp_path / "export.csv")) == walked


def test_a_quote_before_the_header_takes_the_csv_walk(tmp_path):
    path = tmp_path / "bom.csv"
    path.write_bytes(b'\xef\xbb\xbf"session_id",client_id,therapist_id,status\nS1,C1,T1,"x"\n')
    fast, walked, _ = both_scans(path)  # the byte order mark comes before the first quote
    assert fast is None and list(walked.lines) == [2]


def test_an_unclosed_quote_takes_the_csv_walk(tmp_path):
    fast, walked, _ = both_scans(write(tmp_path, f'{HEADER}\nS1,C1,T1,x\nS2,C2,"never closed\nS3,C3,T3,y\n'))
    assert fast is None
    assert list(walked.lines) == [2] and walked.problems[0][0] == 3 and "runs to line 4" in walked.problems[0][1]


def test_a_record_longer_than_a_field_may_be_takes_the_csv_walk(tmp_path, monkeypatch):
    path = write(tmp_path, f'{HEADER}\nS1,C1,T1,"{"long " * 10}"\nS2,C2,T2,x\n')
    assert both_scans(path)[0] is not None
    monkeypatch.setattr(records, "MAX_FIELD", 40)
    assert both_scans(path)[0] is None
    monkeypatch.setattr(records, "CHUNK_BYTES", 16)  # the record does not fit in a chunk either
    assert both_scans(path)[0] is None


def test_scan_records_takes_the_fast_scan_unless_it_gives_up(tmp_path, monkeypatch):
    info = inspect_file(write(tmp_path, "\n".join(QUOTED)))
    monkeypatch.setattr(reader, "scan_fast", lambda *args: records.Scan(array("q", [99])))
    assert list(scan_records(info).lines) == [99]
    monkeypatch.setattr(reader, "scan_fast", lambda *args: None)
    assert scan_records(info) == walk(info) and len(walk(info).lines) == 7


def test_a_one_column_file_takes_the_csv_walk(tmp_path):
    path = write(tmp_path, "therapist_id\nT1\n\nT2\n")
    info = inspect_file(path)
    assert records.scan_fast(info.path, info.header_line, 1, ",") is None
    assert list(scan_records(info).lines) == [2, 3, 4]  # blank lines are records in a one-column file


PLAIN_CELL = st.text(alphabet=st.sampled_from(list("abcS1 ,;\t|é-")), max_size=6)
QUOTED_CELL = st.lists(st.sampled_from(list('ab ,;\t|é"\n') + ["\r\n"]), max_size=6).map(
    lambda parts: '"' + "".join(parts).replace('"', '""') + '"')
STRAY_CELL = st.text(alphabet=st.sampled_from(list('ab ,"')), max_size=4)  # quotes where the csv module reads them
# as characters, or does not close them


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(st.lists(st.one_of(PLAIN_CELL, QUOTED_CELL), min_size=0, max_size=6), max_size=25),
       strays=st.lists(st.tuples(st.integers(0, 24), STRAY_CELL), max_size=2), quote_header=st.booleans(),
       delimiter=st.sampled_from([",", ";", "\t", "|"]), newline=st.sampled_from(["\n", "\r\n"]),
       final_newline=st.booleans(), chunk=st.integers(min_value=8, max_value=200))
def test_any_file_scans_like_the_csv_walk(tmp_path, monkeypatch, rows, strays, quote_header, delimiter, newline,
                                          final_newline, chunk):
    monkeypatch.setattr(records, "CHUNK_BYTES", chunk)
    for index, cell in strays:
        rows.insert(min(index, len(rows)), ["S1", cell, "T1"])
    names = ["session_id", "client_id", "therapist_id", "status"]
    header = delimiter.join(f'"{name}"' if quote_header else name for name in names)
    body = newline.join(delimiter.join(cells) for cells in rows)
    text = header + newline + body + (newline if final_newline else "")
    path = tmp_path / "generated.csv"
    path.write_bytes(text.encode("utf-8"))
    info = inspect_file(path)
    if info.delimiter != delimiter:
        return  # the header decides the delimiter; a cell full of another one is a different test
    assert info.scannable and info.plain == ('"' not in text)
    fast = records.scan_fast(info.path, info.header_line, len(info.headers), info.delimiter)
    if not any('"' in cell for _, cell in strays):
        assert fast is not None  # every quote is where the csv module reads it as one
    assert scan_records(info) == walk(info)
