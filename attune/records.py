"""Where each record of an export starts, and which records are malformed.

Python's csv module is the authority on a file's structure (attune/reader.py walks the file with it). The
same answer comes faster from numpy: a line break ends a record, and a delimiter ends a field, only outside
quotes (after an even number of quote characters since the record began), so quote positions and counts of
delimiters and line breaks number the records; only records whose field count is off go through the csv
module. Where the csv module would read a quote differently (one inside a value, `ab"c`, or text after a
closing quote, `"b"c`), or a quote is never closed, the fast scan gives up and the csv walk answers.
"""

from __future__ import annotations

import csv
import io
from array import array
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

MAX_FIELD = 50 * 1024 * 1024
# Read and scanned a block at a time. Small enough for numpy's passes over a block to stay in the CPU's caches:
# 4 MB blocks walk a 1M-session file in 0.15 s and 63 MB, 32 MB blocks took 0.30 s and 210 MB (10M sessions:
# 1.4 against 2.4 s). The walk shares the two cores with DuckDB's read of the same file.
CHUNK_BYTES = 4 * 1024 * 1024
QUOTE, NEWLINE, CR = ord('"'), ord("\n"), ord("\r")


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
    if len(row) < width and (end > start or any("\n" in c or "\r" in c for c in row)):
        runs = f"the record runs to line {end}" if end > start else "it runs to the end of the file"
        return f"a quoted value that starts on this line is not closed where expected ({runs})"
    if len(row) > width:
        return (f"this line has {len(row)} fields, more fields than the header ({width}): "
                "a stray delimiter, or a value that should be quoted?")
    return f"this line has {len(row)} field{'s' if len(row) != 1 else ''}, fewer fields than the header ({width})"


def is_scannable(chunk: bytes, ends_previous_with_cr: bool = False) -> bool:
    """No NUL, and every carriage return ends a line (\\r\\n): what scan_fast needs besides UTF-8."""
    if b"\x00" in chunk:
        return False
    if ends_previous_with_cr and not chunk.startswith(b"\n"):
        return False
    body = chunk[:-1] if chunk.endswith(b"\r") else chunk
    return b"\r" not in body or body.count(b"\r") == body.count(b"\r\n")


def scan_fast(path: Path, header_line: int, width: int, delimiter: str) -> Scan | None:
    """The csv walk's answer for a scannable UTF-8 file; None when the csv walk must answer after all."""
    if width < 2:
        return None  # a one-column file counts blank lines as records: the csv walk handles that
    csv.field_size_limit(MAX_FIELD)  # as for the walk (a record longer than that gives up below)
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
            buf = np.frombuffer(data, dtype=np.uint8)
            newlines, quotes = np.flatnonzero(buf == NEWLINE), np.flatnonzero(buf == QUOTE)
            # which line breaks end a record: those outside quotes, counting from the start of a record
            breaks = (np.flatnonzero((np.searchsorted(quotes, newlines) & 1) == 0) if len(quotes)
                      else np.arange(len(newlines)))
            if chunk:  # cut after the last of them: the next block starts a record
                if not len(breaks):
                    if len(data) > MAX_FIELD:
                        return None
                    pending = data
                    continue
                cut = int(newlines[breaks[-1]]) + 1
            elif len(quotes) % 2:
                return None  # a quote never closed
            else:
                cut = len(data)
            block, pending = data[:cut], data[cut:]
            newlines, quotes = (a[:np.searchsorted(a, cut)] for a in (newlines, quotes))
            if not is_scannable(block):
                return None
            if not _scan_block(block, buf[:cut], newlines, quotes, breaks, line, header_line, width, separator,
                               delimiter, lines, problems):
                return None
            line += len(newlines) + (0 if block.endswith(b"\n") else 1)
    return Scan(lines, tuple(problems))


def _scan_block(block: bytes, buf: np.ndarray, newlines: np.ndarray, quotes: np.ndarray, breaks: np.ndarray,
                first_line: int, header_line: int, width: int, separator: int, delimiter: str, lines: array,
                problems: list) -> bool:
    """Number the records of `block` (whole records, so an even number of quotes), its first line being
    `first_line`: `newlines` and `quotes` are the positions in it of line breaks and quotes, `breaks` the
    indexes in `newlines` of those that end a record. False: give up."""
    quoted = len(quotes) > 0
    if quoted and not _quotes_read_alike(buf, quotes, separator):
        return False
    if not block.endswith(b"\n"):  # the last record ends the file
        breaks, newlines = np.append(breaks, len(newlines)), np.append(newlines, len(block))
    ends = newlines[breaks]
    starts = np.concatenate(([0], ends[:-1] + 1))
    last = first_line + breaks  # the physical line of each record's last line: every line break counts
    first = np.concatenate(([first_line], last[:-1] + 1))
    if len(ends) and int((ends - starts).max()) > MAX_FIELD:
        return False
    delimiters = np.flatnonzero(buf == separator)
    fields = np.diff(np.searchsorted(delimiters, np.concatenate(([0], ends)))) + 1
    if quoted:  # less the delimiters inside each quoted stretch, counted against its record
        opening, closing = quotes[0::2], quotes[1::2]
        inside = np.searchsorted(delimiters, closing) - np.searchsorted(delimiters, opening)
        fields -= np.bincount(np.searchsorted(ends, opening), weights=inside, minlength=len(ends)).astype(np.int64)
    after_header = first > header_line
    good = after_header & (fields == width)
    odd = np.flatnonzero(after_header & (fields != width))
    for index in odd:  # few: blank lines, trailing delimiters, broken records
        text = block[starts[index]:ends[index] + 1].decode("utf-8", errors="replace")
        row = next(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter), [])
        verdict = classify(int(first[index]), int(last[index]), row, width)
        if verdict == RECORD:
            good[index] = True
        elif verdict is not None:
            problems.append((int(first[index]), verdict))
    lines.frombytes(first[good].astype(np.int64, copy=False).tobytes())
    return True


def _quotes_read_alike(buf: np.ndarray, quotes: np.ndarray, separator: int) -> bool:
    """Whether the csv module reads every quote as counting does: an opening quote starts a field (or
    follows the quote it doubles), a closing quote ends one (or is doubled). Otherwise the csv module
    takes it as a literal character, or appends what follows to the value."""
    opening, closing = quotes[0::2], quotes[1::2]
    before = buf[np.maximum(opening - 1, 0)]  # a quote opening the block (a record) sees itself: fine
    if not ((before == separator) | (before == NEWLINE) | (before == QUOTE)).all():
        return False
    after = buf[np.minimum(closing + 1, len(buf) - 1)]  # as does one closing the file
    return bool(((after == separator) | (after == NEWLINE) | (after == CR) | (after == QUOTE)).all())
