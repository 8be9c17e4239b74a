"""The fast record scan of a plain (quote-free) file gives exactly the csv walk's answer."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from attune import records
from attune.reader import inspect_file, scan_records

HEADER = "session_id,client_id,therapist_id,status"


def both_scans(path: Path) -> tuple[records.Scan, records.Scan, bool]:
    info = inspect_file(path)
    fast = scan_records(info)
    walked = scan_records(dataclasses.replace(info, plain=False))
    return fast, walked, info.plain


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


@pytest.mark.parametrize("text", [
    f'{HEADER}\nS1,"C1",T1,attended\n',  # a quote: records may span lines
    f"{HEADER}\nS1,C1,T1,att\rended\n",  # a lone carriage return ends a line for the csv module
])
def test_files_that_are_not_plain_take_the_csv_walk(tmp_path, text):
    assert not inspect_file(write(tmp_path, text)).plain


def test_plain_means_no_quote_no_nul_and_no_lone_carriage_return():
    assert records.is_plain(b"a,b\r\nc,d\r")  # the \r\n may be cut between two chunks
    assert records.is_plain(b"\nc,d", ends_previous_with_cr=True)
    assert not records.is_plain(b"c,d", ends_previous_with_cr=True)
    assert not records.is_plain(b"a,\x00\n") and not records.is_plain(b'a,"b"\n')


def test_a_one_column_file_takes_the_csv_walk(tmp_path):
    path = write(tmp_path, "therapist_id\nT1\n\nT2\n")
    info = inspect_file(path)
    assert records.scan_plain(info.path, info.header_line, 1, ",") is None
    assert list(scan_records(info).lines) == [2, 3, 4]  # blank lines are records in a one-column file


CELL = st.text(alphabet=st.sampled_from(list("abcS1 ,;\t|é-")), max_size=6)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(st.lists(CELL, min_size=0, max_size=6), max_size=25),
       delimiter=st.sampled_from([",", ";", "\t", "|"]), newline=st.sampled_from(["\n", "\r\n"]),
       final_newline=st.booleans(), chunk=st.integers(min_value=8, max_value=200))
def test_any_plain_file_scans_like_the_csv_walk(tmp_path, monkeypatch, rows, delimiter, newline, final_newline,
                                                chunk):
    monkeypatch.setattr(records, "CHUNK_BYTES", chunk)
    header = delimiter.join(["session_id", "client_id", "therapist_id", "status"])
    body = newline.join(delimiter.join(cells) for cells in rows)
    text = header + newline + body + (newline if final_newline else "")
    path = tmp_path / "generated.csv"
    path.write_bytes(text.encode("utf-8"))
    info = inspect_file(path)
    if info.delimiter != delimiter:
        return  # the header decides the delimiter; a cell full of another one is a different test
    assert info.plain
    assert scan_records(info) == scan_records(dataclasses.replace(info, plain=False))
