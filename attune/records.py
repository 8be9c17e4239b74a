"""Where each record of an export starts, and which records are malformed.

Python's csv module is the authority on a file's structure (attune/reader.py walks the file with it). For
the common export, with no quote character anywhere, every record is exactly one line, so the same answer
comes from counting delimiters per line with numpy, about five times faster; only lines whose count is off
go through the csv module and the same rules.
"""

from __future__ import annotations

import csv
from array import array
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

MAX_FIELD = 50 * 1024 * 1024
CHUNK_BYTES = 32 * 1024 * 1024


@dataclass(frozen=True)
class Scan:
    """Where each record starts (line of a CSV, row of a sheet) and the structural problems found."""

    lines: array = field(default_factory=lambda: array("q"))
    problems: tuple[tuple[int, str], ...] = ()


RECORD = "record"


def classify(start: int, end: int, row: list[str], width: int) -> str | None:
    """RECORD, None for a line to skip (blank, or only spaces), or the problem in words.

    A record with trailing empty fields beyond the header is still a record (spreadsheets add them).
    """
    if len(row) == width or (width == 1 and not row) or (
            len(row) > width and not any(c.strip() for c in row[width:])):
        return RECORD
    if not row or (len(row) == 1 and not row[0].strip()):
        return None
    if end > start and len(row) < width:
        return f"a quoted value that starts on this line is not closed where expected (the record runs to line {end})"
    if len(row) > width:
        return (f"this line has {len(row)} fields, more fields than the header ({width}): "
                "a stray delimiter, or a value that should be quoted?")
    return f"this line has {len(row)} field{'s' if len(row) != 1 else ''}, fewer fields than the header ({width})"


def is_plain(chunk: bytes, ends_previous_with_cr: bool = False) -> bool:
    """No quote and no NUL, and every carriage return ends a line (\\r\\n): records are lines."""
    if b'"' in chunk or b"\x00" in chunk:
        return False
    if ends_previous_with_cr and not chunk.startswith(b"\n"):
        return False
    body = chunk[:-1] if chunk.endswith(b"\r") else chunk
    return body.count(b"\r") == body.count(b"\r\n")


def scan_plain(path: Path, header_line: int, width: int, delimiter: str) -> Scan | None:
    """The csv walk's answer for a UTF-8 file without quotes; None when the file is not like that after all."""
    if width < 2:
        return None  # a one-column file counts blank lines as records: the csv walk handles that
    lines, problems = array("q"), []
    separator = ord(delimiter)
    line = 1  # the physical line number of the first line in `pending`
    pending = b""
    with path.open("rb") as fh:
        while True:
            chunk = fh.read(CHUNK_BYTES)
            data = pending + chunk
            if not data:
                break
            cut = data.rfind(b"\n") + 1 if chunk else len(data)
            if cut == 0:
                if len(data) > MAX_FIELD:
                    return None
                pending = data
                continue
            block, pending = data[:cut], data[cut:]
            if not is_plain(block):
                return None
            if not _scan_block(block, line, header_line, width, separator, delimiter, lines, problems):
                return None
            line += block.count(b"\n") + (0 if block.endswith(b"\n") else 1)
    return Scan(lines, tuple(problems))


def _scan_block(block: bytes, first_line: int, header_line: int, width: int, separator: int, delimiter: str,
                lines: array, problems: list) -> bool:
    """Number the records of whole lines `block`, its first line being `first_line`. False: give up."""
    buf = np.frombuffer(block, dtype=np.uint8)
    ends = np.flatnonzero(buf == 10)
    if not block.endswith(b"\n"):
        ends = np.append(ends, len(block))
    starts = np.concatenate(([0], ends[:-1] + 1))
    if len(ends) and int((ends - starts).max()) > MAX_FIELD:
        return False
    fields = np.diff(np.searchsorted(np.flatnonzero(buf == separator), np.concatenate(([0], ends)))) + 1
    numbers = np.arange(first_line, first_line + len(ends), dtype=np.int64)
    after_header = numbers > header_line
    good = after_header & (fields == width)
    odd = np.flatnonzero(after_header & (fields != width))
    if not len(odd):
        lines.frombytes(numbers[good].tobytes())
        return True
    for index in odd:  # few: blank lines, trailing delimiters, broken rows
        text = block[starts[index]:ends[index]].decode("utf-8", errors="replace").rstrip("\r")
        verdict = classify(int(numbers[index]), int(numbers[index]), next(csv.reader([text], delimiter=delimiter), []),
                           width)
        if verdict == RECORD:
            good[index] = True
        elif verdict is not None:
            problems.append((int(numbers[index]), verdict))
    lines.frombytes(numbers[good].tobytes())
    return True
