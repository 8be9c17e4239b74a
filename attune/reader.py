"""Reading an export file as it is: encoding, delimiter, header row, record line numbers, staging as text.

Nothing here interprets values; that is the importer's job. Files in an encoding DuckDB cannot read
(Windows-1252, Latin-1, UTF-16) are transcoded to a UTF-8 temporary file first; an .xlsx sheet is
converted to a UTF-8 CSV the same way, remembering the sheet row of every record.

Line numbers are exact: while DuckDB stages the file (one thread), Python's csv module walks the same
file (another thread) and records the physical line where every record starts. That walk is also the
authority on the file's structure (a record with more or fewer fields than the header), which DuckDB's
lenient reader would otherwise truncate or pad silently.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import shutil
import tempfile
import threading
import time as time_module
import zipfile
from array import array
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path

import duckdb
import numpy as np
import polars as pl

from attune.records import MAX_FIELD, RECORD, Scan, classify, is_scannable, scan_fast

SAMPLE_BYTES = 256 * 1024
DELIMITERS = (",", ";", "\t", "|")
DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}
XLSX_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0"  # legacy .xls (and other Office 97 files)


class UnreadableFileError(ValueError):
    """The file cannot be read as a table at all (empty, binary, no header)."""


@dataclass(frozen=True)
class FileInfo:
    path: Path  # the UTF-8 CSV DuckDB reads (the original, or a transcoded/converted temporary copy)
    original: Path
    encoding: str  # utf-8, utf-8-sig, cp1252, latin-1, utf-16, or xlsx
    delimiter: str
    headers: tuple[str, ...]  # as written in the file, surrounding spaces removed
    sha256: str
    size: int
    header_line: int = 1  # the line (sheet row) the header is on
    skip_lines: int = 0  # blank lines before the header in `path`
    sheet: str | None = None
    sheets: tuple[str, ...] = ()
    prescan: Scan | None = None  # for sheets: the rows were numbered while converting
    scannable: bool = False  # UTF-8 with no NUL or lone carriage return: attune/records.py numbers the records
    plain: bool = False  # scannable and without a quote: every record is one line (DuckDB may read in parallel)

    @property
    def unit(self) -> str:
        """What a position in this file is called: a line of a CSV, a row of a spreadsheet."""
        return "row" if self.sheet else "line"

    @property
    def labels(self) -> tuple[str, ...]:
        return display_headers(self.headers)

    @property
    def description(self) -> str:
        if self.sheet:
            return f"Excel sheet '{self.sheet}'"
        return f"{self.encoding.upper().replace('-SIG', ' with BOM')}, {DELIMITER_NAMES[self.delimiter]}-separated"


def display_headers(headers: tuple[str, ...] | list[str]) -> tuple[str, ...]:
    """Header names made unique and non-empty for display: a repeated 'Date' becomes 'Date (2)'."""
    seen: dict[str, int] = {}
    out = []
    for i, header in enumerate(headers):
        name = header.strip() or f"(column {i + 1})"
        seen[name] = seen.get(name, 0) + 1
        out.append(name if seen[name] == 1 else f"{name} ({seen[name]})")
    return tuple(out)


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _hash_and_check_utf8(path: Path) -> tuple[str, bool, bool, bool]:
    """One pass over the file: its SHA-256, whether all of it is valid UTF-8, whether it is scannable (see
    attune/records.py) and whether it has a quote character."""
    digest, decoder, valid, scannable = hashlib.sha256(), codecs.getincrementaldecoder("utf-8")(), True, True
    quoted, previous = False, b""
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
            scannable = scannable and is_scannable(chunk, previous.endswith(b"\r"))
            quoted = quoted or b'"' in chunk
            previous = chunk
            if valid:
                try:
                    decoder.decode(chunk)
                except UnicodeDecodeError:
                    valid = False
    if valid:
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            valid = False
    return digest.hexdigest(), valid, scannable and valid, quoted


def detect_encoding(sample: bytes, whole_file_is_utf8: bool) -> str:
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig" if whole_file_is_utf8 else "cp1252"
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    if whole_file_is_utf8:
        return "utf-8"
    try:
        sample.decode("cp1252")
    except UnicodeDecodeError:  # one of the five bytes Windows-1252 leaves undefined
        return "latin-1"
    return "cp1252"


def looks_binary(sample: bytes, encoding: str) -> bool:
    if encoding == "utf-16":
        return False
    head = sample[:4096]
    control = sum(1 for b in head if b < 9 or 13 < b < 32)
    # Binary formats (zip, PDF, images) have NUL bytes early on. Text may carry a few stray control
    # characters pasted in with a value: in a small export a handful of them was once called binary.
    return b"\x00" in head or control > max(len(head) // 10, 32)


def detect_delimiter(header_line: str) -> str:
    """The delimiter that occurs most often in the header line, outside quoted names."""
    unquoted = "".join(part for i, part in enumerate(header_line.split('"')) if i % 2 == 0)
    counts = {d: unquoted.count(d) for d in DELIMITERS}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] > 0 else ","


def inspect_file(original: Path, workdir: Path | None = None, sheet: str | None = None) -> FileInfo:
    """Work out how to read a file; transcode or convert it to a UTF-8 CSV in `workdir` when needed."""
    original = Path(original)
    size = original.stat().st_size
    if size == 0:
        raise UnreadableFileError(f"{original.name} is empty: there is nothing to import.")
    with original.open("rb") as fh:
        sample = fh.read(SAMPLE_BYTES)
    if sample.startswith(XLSX_MAGIC):
        return _inspect_xlsx(original, workdir, sheet, size)
    if sample.startswith(OLE_MAGIC):
        raise UnreadableFileError(f"{original.name} is an old-style Excel (.xls) file. Open it in Excel and "
                                  "save it as .xlsx or CSV, then import that.")
    sha256, utf8, scannable, quoted = _hash_and_check_utf8(original)
    encoding = detect_encoding(sample, utf8)
    if looks_binary(sample, encoding):
        raise UnreadableFileError(
            f"{original.name} is not a text (CSV) file. Export the data as CSV or .xlsx and try again."
        )
    path = original
    if encoding not in ("utf-8", "utf-8-sig"):
        path = _transcode(original, encoding, workdir)
    with path.open("r", encoding="utf-8-sig", errors="replace", newline="") as fh:
        text = fh.read(SAMPLE_BYTES)
    lines = list(io.StringIO(text, newline=""))
    blank = 0
    while blank < len(lines) and not lines[blank].strip():
        blank += 1
    if blank == len(lines):
        raise UnreadableFileError(f"{original.name} has no rows, only blank lines.")
    delimiter = detect_delimiter(lines[blank])
    header_text = io.StringIO("".join(lines[blank:]), newline="")
    try:
        headers = tuple(h.strip() for h in next(csv.reader(header_text, delimiter=delimiter)))
    except csv.Error as exc:
        raise UnreadableFileError(f"The header line of {original.name} cannot be read as CSV ({exc}).") from exc
    if not any(headers):
        raise UnreadableFileError(f"{original.name} has no header row (the first line is empty).")
    return FileInfo(path, original, encoding, delimiter, headers, sha256, size, header_line=blank + 1,
                    skip_lines=blank, scannable=scannable and path == original,
                    plain=scannable and not quoted and path == original)


def peek_headers(path: Path) -> tuple[str, ...] | None:
    """The header names, cheaply (to order several files before importing); None when unreadable."""
    try:
        with Path(path).open("rb") as fh:
            sample = fh.read(SAMPLE_BYTES)
        if sample.startswith(XLSX_MAGIC):
            workbook = _open_workbook(Path(path))
            try:
                for values in workbook.worksheets[0].iter_rows(values_only=True):
                    cells = [_cell_text(v).strip() for v in values]
                    if any(cells):
                        return tuple(cells)
            finally:
                workbook.close()
            return None
        text = sample.decode(detect_encoding(sample, True), errors="replace")
        first = next((line for line in io.StringIO(text, newline="") if line.strip()), None)
        if first is None:
            return None
        return tuple(h.strip() for h in next(csv.reader(io.StringIO(first, newline=""),
                                                         delimiter=detect_delimiter(first))))
    except (UnreadableFileError, OSError, csv.Error, StopIteration):
        return None


def _transcode(original: Path, encoding: str, workdir: Path | None) -> Path:
    out = Path(tempfile.mkstemp(suffix=".csv", dir=workdir)[1])
    with original.open("r", encoding=encoding, errors="replace", newline="") as src, out.open(
        "w", encoding="utf-8", newline=""
    ) as dst:
        for chunk in iter(lambda: src.read(1 << 20), ""):
            dst.write(chunk)
    return out


def list_sheets(path: Path) -> list[str]:
    """The sheet names of an .xlsx workbook."""
    workbook = _open_workbook(Path(path))
    try:
        return list(workbook.sheetnames)
    finally:
        workbook.close()


def _open_workbook(path: Path):
    import openpyxl

    try:
        return openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise UnreadableFileError(f"{path.name} is a zip archive but not a readable Excel (.xlsx) workbook "
                                  f"({exc}). Save it again from Excel as .xlsx or CSV.") from exc


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time(0) else value.isoformat(sep=" ")
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else format(value, ".15g")
    return str(value)


def _inspect_xlsx(original: Path, workdir: Path | None, sheet: str | None, size: int) -> FileInfo:
    """Convert one sheet to a UTF-8 CSV, numbering each record by its sheet row; blank rows are skipped."""
    workbook = _open_workbook(original)
    try:
        names = tuple(workbook.sheetnames)
        if sheet is not None and sheet not in names:
            raise UnreadableFileError(f"{original.name} has no sheet named '{sheet}' (sheets: {', '.join(names)}).")
        name = sheet or names[0]
        out = Path(tempfile.mkstemp(suffix=".csv", dir=workdir)[1])
        headers: tuple[str, ...] | None = None
        header_row, rows, problems = 0, array("q"), []
        with out.open("w", encoding="utf-8", newline="") as fh:
            writer = csv.writer(fh, lineterminator="\n")
            for number, values in enumerate(workbook[name].iter_rows(values_only=True), start=1):
                cells = [_cell_text(v) for v in values]
                if not any(c.strip() for c in cells):
                    continue
                if headers is None:
                    width = max(i for i, c in enumerate(cells) if c.strip()) + 1
                    headers, header_row = tuple(c.strip() for c in cells[:width]), number
                    writer.writerow(headers)
                    continue
                extra = [c for c in cells[len(headers):] if c.strip()]
                if extra:
                    problems.append((number, f"this row has values to the right of the last named column "
                                             f"(e.g. '{extra[0]}')"))
                writer.writerow((cells + [""] * len(headers))[: len(headers)])
                rows.append(number)
    finally:
        workbook.close()
    if headers is None:
        raise UnreadableFileError(f"Sheet '{name}' of {original.name} is empty: there is nothing to import.")
    return FileInfo(out, original, "xlsx", ",", headers, file_sha256(original), size, header_line=header_row,
                    sheet=name, sheets=names, prescan=Scan(rows, tuple(problems)))


def staged_column(index: int) -> str:
    return f"c{index}"


def _records(fh, info: FileInfo):
    """(first line, last line, fields) of every record after the header, with physical line numbers."""
    for _ in range(info.skip_lines):
        fh.readline()
    reader = csv.reader(fh, delimiter=info.delimiter)
    next(reader, None)
    base = info.skip_lines
    previous = reader.line_num + base
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:  # e.g. a field longer than MAX_FIELD: an unclosed quote swallowing the file
            yield previous + 1, None, str(exc)
            return
        start, previous = previous + 1, reader.line_num + base
        yield start, previous, row


def scan_records(info: FileInfo) -> Scan:
    """Walk the file with Python's csv module: the start line of every record and the malformed ones.

    Mirrors how DuckDB splits records: blank lines are skipped (in a one-column file DuckDB reads them as
    empty records, so they count there), a whitespace-only line is skipped too. A scannable file takes
    the faster route of attune/records.py to the same answer where it can.
    """
    if info.prescan is not None:
        return info.prescan
    width = len(info.headers)
    if info.scannable:
        fast = scan_fast(info.path, info.header_line, width, info.delimiter)
        if fast is not None:
            return fast
    lines, problems = array("q"), []
    csv.field_size_limit(MAX_FIELD)
    with info.path.open("r", encoding="utf-8-sig", errors="replace", newline="") as fh:
        for start, end, row in _records(fh, info):
            if end is None:
                problems.append((start, f"the record starting on this line cannot be read as CSV ({row})"))
                continue
            verdict = classify(start, end, row, width)
            if verdict == RECORD:
                lines.append(start)
            elif verdict is not None:
                problems.append((start, verdict))
    return Scan(lines, tuple(problems))


READ_CSV = """read_csv($path, header = true, skip = $skip, columns = $columns, delim = $delim, quote = '"',
    escape = '"', all_varchar = true, auto_detect = false, parallel = $parallel, strict_mode = false,
    null_padding = false, ignore_errors = true, max_line_size = $max_line)"""


def read_csv_params(info: FileInfo) -> dict:
    """Parameters for READ_CSV: every column as text (c0..cN), nothing sniffed or guessed.

    Only a plain file is read in parallel: with quotes, record boundaries are the serial reader's to find."""
    return {"path": str(info.path), "columns": {staged_column(i): "VARCHAR" for i in range(len(info.headers))},
            "delim": info.delimiter, "skip": info.skip_lines, "max_line": MAX_FIELD, "parallel": info.plain}


def stage(con: duckdb.DuckDBPyConnection, info: FileInfo, workdir: Path, table: str = "staged") -> Scan:
    """Load every record as text into a temp view `table` (rec, c0..cN) and number its lines.

    DuckDB reads the file on this thread while the csv walk runs on another. When the records are not
    simply one per line (blank lines, quoted line breaks, sheet rows), the walk's numbers become a temp
    table `line_numbers` (rec, line). Returns the walk (structural problems mean the file is not imported).
    Raises UnreadableFileError when the two readers disagree on the number of records.
    """
    result: dict[str, Scan | BaseException] = {}

    def walk() -> None:
        try:
            result["scan"] = scan_records(info)
        except BaseException as exc:  # re-raised on the calling thread
            result["scan"] = exc

    text = f"{table}_text"
    con.execute(f"DROP VIEW IF EXISTS {table}")  # before the walk starts: it would wait for the GIL
    con.execute(f"DROP TABLE IF EXISTS {text}")
    walker = threading.Thread(target=walk, name="attune-scan")
    walker.start()
    try:
        con.execute(f"CREATE TEMP TABLE {text} AS SELECT * FROM {READ_CSV}", read_csv_params(info))
    finally:
        walker.join()
    scan = result["scan"]
    if isinstance(scan, BaseException):
        raise scan
    if scan.problems:
        return scan
    # A table made from one file keeps the file's order (a parallel read too), so a row's place in it is
    # its rowid less the first one (inside a transaction rowids start high): numbering the rows with
    # row_number() OVER () while reading doubled the staging time.
    staged, first, last = con.execute(f"SELECT count(*), min(rowid), max(rowid) FROM {text}").fetchall()[0]
    con.execute(f"SET VARIABLE {table}_first_rowid = $first", {"first": first})
    con.execute(f"CREATE TEMP VIEW {table} AS SELECT rowid - getvariable('{table}_first_rowid') + 1 AS rec, * "
                f"FROM {text}")
    if staged != len(scan.lines) or (staged and last - first + 1 != staged):
        raise UnreadableFileError(
            f"{info.original.name} could not be read consistently ({staged:,} records by one reader, "
            f"{len(scan.lines):,} by another). Check for unusual quoting, or save it again as CSV from a "
            "spreadsheet program."
        )
    if line_offset(scan) is None:
        # Through a Parquet file: handing Python objects to DuckDB would import pandas (seconds).
        numbers = pl.DataFrame({"rec": np.arange(1, len(scan.lines) + 1, dtype=np.int64),
                                "line": np.frombuffer(scan.lines, dtype=np.int64)})
        target = Path(tempfile.mkstemp(suffix=".parquet", dir=workdir)[1])
        numbers.write_parquet(target, compression="uncompressed")
        con.execute("CREATE OR REPLACE TEMP TABLE line_numbers AS SELECT * FROM read_parquet($p)", {"p": str(target)})
    return scan


def line_offset(scan: Scan) -> int | None:
    """When every record is one line with no blank lines between, line = rec + offset (no join needed)."""
    lines = scan.lines
    if not lines:
        return 0
    return lines[0] - 1 if lines[-1] - lines[0] == len(lines) - 1 else None


def preview(info: FileInfo, rows: int = 10) -> pl.DataFrame:
    """The first rows as the file has them (text), under unique header names."""
    labels = info.labels
    out: list[list[str]] = []
    with info.path.open("r", encoding="utf-8-sig", errors="replace", newline="") as fh:
        for _start, _end, row in _records(fh, info):
            if not row or not any(c.strip() for c in row):
                continue
            out.append([(row[i] if i < len(row) else "") for i in range(len(labels))])
            if len(out) >= rows:
                break
    return pl.DataFrame(out, schema=list(labels), orient="row") if out else pl.DataFrame(
        schema={label: pl.Utf8 for label in labels})


# How long an upload, or a working folder left by a stopped process, is kept: no import or check runs a day.
STALE_AFTER_SECONDS = 24 * 3600


def remove_stale(folders: Iterable[Path], older_than: float = STALE_AFTER_SECONDS) -> None:
    """Delete the folders among `folders` last changed more than `older_than` seconds ago: what a stopped
    process left behind (an upload, or the working folder of an import that was killed, which can hold a
    converted copy of the whole export)."""
    now = time_module.time()
    for folder in folders:
        try:
            if folder.is_dir() and now - folder.stat().st_mtime > older_than:
                shutil.rmtree(folder, ignore_errors=True)
        except OSError:  # removed meanwhile by another process
            continue


def work_folder(purpose: str) -> tempfile.TemporaryDirectory:
    """A private working folder (attune-PURPOSE-...) for reading one file, removed with it; those of earlier
    runs for the same purpose that a stopped process left behind go first."""
    prefix = f"attune-{purpose}-"
    remove_stale(Path(tempfile.gettempdir()).glob(f"{prefix}*"))
    return tempfile.TemporaryDirectory(prefix=prefix)


def save_upload(name: str, data: bytes, key: str, root: Path | None = None) -> Path:
    """Write an uploaded file to a private temporary folder (once per upload) and return its path.

    Uploads older than a day are removed on the way, so large exports do not pile up in the temp folder.
    """
    root = root or Path(tempfile.gettempdir()) / "attune-uploads"
    root.mkdir(parents=True, exist_ok=True)
    remove_stale(root.iterdir())
    folder = root / key
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / Path(name).name
    if not target.exists() or target.stat().st_size != len(data):
        partial = target.with_suffix(target.suffix + ".part")
        partial.write_bytes(data)
        shutil.move(partial, target)
    return target
