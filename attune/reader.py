"""Reading an export file as it is: encoding, delimiter, header row, and staging into DuckDB as text.

Nothing here interprets values; that is the importer's job. Files in an encoding DuckDB cannot read
(Windows-1252 and friends) are transcoded to a UTF-8 temporary file first.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import tempfile
from dataclasses import dataclass
from pathlib import Path

import duckdb
from charset_normalizer import from_bytes

SAMPLE_BYTES = 256 * 1024
DELIMITERS = (",", ";", "\t", "|")
MAX_FIELD = 50 * 1024 * 1024  # Python's csv module stops at 128 KB by default


class UnreadableFileError(ValueError):
    """The file cannot be read as a table at all (empty, binary, no header)."""


@dataclass(frozen=True)
class FileInfo:
    path: Path  # the UTF-8 file DuckDB reads (the original, or a transcoded temporary copy)
    original: Path
    encoding: str
    delimiter: str
    headers: tuple[str, ...]
    sha256: str
    size: int


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def detect_encoding(sample: bytes) -> str:
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    try:
        sample.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError as exc:
        if exc.start >= len(sample) - 4:  # a multi-byte character cut by the sample boundary
            return "utf-8"
    best = from_bytes(sample, cp_isolation=["cp1252", "latin_1", "utf_16"]).best()
    return best.encoding if best else "cp1252"


def looks_binary(sample: bytes, encoding: str) -> bool:
    if encoding.startswith("utf-16"):
        return False
    return b"\x00" in sample[:4096]


def detect_delimiter(header_line: str) -> str:
    counts = {d: header_line.count(d) for d in DELIMITERS}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] > 0 else ","


def inspect_file(original: Path, workdir: Path | None = None) -> FileInfo:
    """Work out how to read a file; transcode to UTF-8 when DuckDB cannot read it natively."""
    size = original.stat().st_size
    if size == 0:
        raise UnreadableFileError(f"{original.name} is empty: there is nothing to import.")
    with original.open("rb") as fh:
        sample = fh.read(SAMPLE_BYTES)
    encoding = detect_encoding(sample)
    if looks_binary(sample, encoding):
        raise UnreadableFileError(
            f"{original.name} is not a text (CSV) file. Export the data as CSV or .xlsx and try again."
        )
    text = sample.decode(encoding, errors="replace")
    lines = [ln for ln in text.splitlines() if ln.strip()]
    if not lines:
        raise UnreadableFileError(f"{original.name} has no rows, only blank lines.")
    delimiter = detect_delimiter(lines[0])
    headers = tuple(next(csv.reader(io.StringIO(lines[0]), delimiter=delimiter)))
    if not any(h.strip() for h in headers):
        raise UnreadableFileError(f"{original.name} has no header row (the first line is empty).")
    path = original
    if encoding not in ("utf-8", "utf-8-sig"):
        path = _transcode(original, encoding, workdir)
    return FileInfo(path, original, encoding, delimiter, headers, file_sha256(original), size)


def _transcode(original: Path, encoding: str, workdir: Path | None) -> Path:
    out = Path(tempfile.mkstemp(suffix=".csv", dir=workdir)[1])
    with original.open("r", encoding=encoding, errors="replace", newline="") as src, out.open(
        "w", encoding="utf-8", newline=""
    ) as dst:
        for chunk in iter(lambda: src.read(1 << 20), ""):
            dst.write(chunk)
    return out


def staged_column(index: int) -> str:
    return f"c{index}"


def stage(con: duckdb.DuckDBPyConnection, info: FileInfo, table: str = "staged") -> list[tuple[int, str]]:
    """Load every record as text into a temp table with columns c0..cN and the record number `rec`.

    Returns the structural errors (record-level problems such as a wrong number of fields) as
    (line, message); any of those means the file is not imported.
    """
    columns = {staged_column(i): "VARCHAR" for i in range(len(info.headers))}
    con.execute(f"DROP TABLE IF EXISTS {table}")
    con.execute("DROP TABLE IF EXISTS reject_errors; DROP TABLE IF EXISTS reject_scans")
    try:
        con.execute(
            f"""CREATE TEMP TABLE {table} AS
            SELECT row_number() OVER () AS rec, *
            FROM read_csv($path, header = true, columns = $columns, delim = $delim, quote = '"',
                          escape = '"', all_varchar = true, store_rejects = true, parallel = false,
                          strict_mode = true, null_padding = false)""",
            {"path": str(info.path), "columns": columns, "delim": info.delimiter},
        )
    except duckdb.InvalidInputException as exc:  # damage the reader cannot even set aside as a bad line
        raise UnreadableFileError(_damaged_message(info, str(exc))) from exc
    rejects = con.execute(
        "SELECT line, error_type, error_message FROM reject_errors ORDER BY line"
    ).fetchall()
    return [(int(line), _structural_message(kind, msg)) for line, kind, msg in rejects]


def _damaged_message(info: FileInfo, message: str) -> str:
    if "maximum line size" in message.lower():
        return (f"{info.original.name} has a line longer than DuckDB reads (2 MB): it is not an export as "
                "written by a clinic system, or it is damaged. Export it again and retry.")
    return (f"{info.original.name} cannot be read as a table: it looks damaged (truncated, or an unclosed "
            "quote). Export it again and retry.")


def _structural_message(kind: str, message: str) -> str:
    if kind == "TOO MANY COLUMNS":
        return "this line has more fields than the header (a stray delimiter or an unclosed quote?)"
    if kind == "MISSING COLUMNS":
        return "this line has fewer fields than the header"
    if kind == "UNQUOTED VALUE":
        return "a quote in the middle of a value is not closed properly"
    if kind == "INVALID ENCODING":
        return "this line contains characters that are not valid text"
    return message.splitlines()[0]


def record_lines(info: FileInfo, records: set[int]) -> dict[int, int]:
    """Map record numbers (1 = first data row) to the physical line where each record starts.

    Only run for the few records with problems; a blank line or a quoted newline makes the two differ.
    """
    if not records:
        return {}
    wanted, found = max(records), {}
    csv.field_size_limit(MAX_FIELD)
    with info.path.open("r", encoding="utf-8-sig", errors="replace", newline="") as fh:
        reader = csv.reader(fh, delimiter=info.delimiter)
        start_line, rec = 1, -1
        try:
            for row in reader:
                if row and any(cell.strip() for cell in row):
                    rec += 1
                    if rec in records:
                        found[rec] = start_line
                    if rec >= wanted:
                        break
                start_line = reader.line_num + 1
        except csv.Error:  # a field beyond MAX_FIELD: the remaining records keep their record numbers
            pass
    return found
