"""Exported files (CSV and Excel): the filters written into the name and a header line, small counts in
aggregate tables suppressed (attune.suppression), formula-like text neutralised."""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from datetime import date, datetime

import polars as pl
import xlsxwriter

from attune.filters import Filters
from attune.formatting import each
from attune.suppression import MIN_COUNT, Spec, suppress

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def describe_filters(filters: Filters | None) -> str:
    if filters is None:
        return "all data"
    parts = [f"{filters.start.isoformat()} to {filters.end.isoformat()}"]
    for label, values in (("therapists", filters.therapist_ids), ("teams", filters.supervisors),
                          ("sites", filters.sites), ("services", filters.services)):
        if values:
            parts.append(f"{label}: {', '.join(values)}")
    return "; ".join(parts)


def export_name(name: str, filters: Filters | None, extension: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
    if filters is None:
        return f"attune-{slug}.{extension}"
    picked = [*filters.therapist_ids, *filters.supervisors, *filters.sites, *filters.services]
    scope = re.sub(r"[^A-Za-z0-9]+", "-", "-".join(picked[:3])).strip("-") if picked else "all"
    if len(picked) > 3:
        scope += f"-and-{len(picked) - 3}-more"
    return f"attune-{slug}-{filters.start.isoformat()}-to-{filters.end.isoformat()}-{scope}.{extension}"


def neutralise(value: object) -> object:
    """Text that a spreadsheet would run as a formula gets a leading apostrophe."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES) and not _is_number(value):
        return "'" + value
    return value


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def flat_frame(frame: pl.DataFrame) -> pl.DataFrame:
    """Lists (joined with '; ') and structs written as text, so every cell fits a CSV or spreadsheet cell."""
    nested = [c for c, t in frame.schema.items() if t.is_nested()]
    return frame.with_columns([each(frame[c], _text) for c in nested]) if nested else frame


def safe_frame(frame: pl.DataFrame) -> pl.DataFrame:
    frame = flat_frame(frame)
    text_columns = [c for c, t in frame.schema.items() if t == pl.Utf8]
    return frame.with_columns([each(frame[c], neutralise) for c in text_columns]) if text_columns else frame


@dataclass(frozen=True)
class Export:
    """A table as it leaves Attune: the cells written and the header lines that say what they are."""

    name: str
    frame: pl.DataFrame
    header: tuple[str, ...]


def prepare(frame: pl.DataFrame, name: str, filters: Filters | None, aggregate: bool = True,
            threshold: int = MIN_COUNT, spec: Spec | None = None) -> Export:
    """Apply suppression to an aggregate table and write the header lines (filters, privacy)."""
    header = [f"Attune export: {name}", f"filters: {describe_filters(filters)}"]
    frame = flat_frame(frame)
    if aggregate:
        result = suppress(frame, spec, threshold)
        frame = result.export_frame()
        header.append(f"privacy: {result.note}")
    return Export(name, frame, tuple(header))


def csv_bytes(frame: pl.DataFrame, filters: Filters | None, header: tuple[str, ...] | None = None) -> bytes:
    """UTF-8 CSV: '# ' header lines, then the table (text that looks like a formula neutralised)."""
    buffer = io.StringIO()
    for line in header or (f"Attune export; filters: {describe_filters(filters)}",):
        buffer.write(f"# {line}\n")
    safe_frame(frame).write_csv(buffer)
    return buffer.getvalue().encode("utf-8")


def export_csv(export: Export) -> bytes:
    return csv_bytes(export.frame, None, export.header)


def export_xlsx(export: Export) -> bytes:
    """One worksheet: the header lines, a blank row, then the table with a frozen, bold header row.

    Text is always written as text (never as a formula or a link), so a cell starting with '=' is harmless.
    """
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False,
                                        "strings_to_numbers": False,
                                        "nan_inf_to_errors": True})
    sheet = book.add_worksheet(re.sub(r"[\[\]:*?/\\]", " ", export.name)[:31] or "export")
    bold = book.add_format({"bold": True})
    day = book.add_format({"num_format": "yyyy-mm-dd"})
    stamp = book.add_format({"num_format": "yyyy-mm-dd hh:mm"})
    for r, line in enumerate(export.header):
        sheet.write_string(r, 0, line, bold if r == 0 else None)
    top = len(export.header) + 1
    frame = flat_frame(export.frame)
    for c, name in enumerate(frame.columns):
        sheet.write_string(top, c, name, bold)
        width = max([len(name), *(len(str(v)) for v in frame[name].head(200).to_list() if v is not None)])
        sheet.set_column(c, c, min(max(width + 2, 8), 60))
    for r, row in enumerate(frame.iter_rows(), start=top + 1):
        for c, value in enumerate(row):
            if value is None:
                continue
            if isinstance(value, bool):
                sheet.write_boolean(r, c, value)
            elif isinstance(value, int | float):
                sheet.write_number(r, c, value)
            elif isinstance(value, datetime):
                sheet.write_datetime(r, c, value, stamp)
            elif isinstance(value, date):
                sheet.write_datetime(r, c, datetime(value.year, value.month, value.day), day)
            else:
                sheet.write_string(r, c, _text(value))
    sheet.freeze_panes(top + 1, 0)
    book.close()
    return buffer.getvalue()


def _text(value: object) -> str:
    if isinstance(value, pl.Series):
        value = value.to_list()
    if isinstance(value, list | tuple):
        return "; ".join(str(v) for v in value)
    return str(value)
