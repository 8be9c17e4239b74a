"""Exported files: the filters written into the name and a header line; formula-like cells neutralised."""

from __future__ import annotations

import io
import re

import polars as pl

from attune.filters import Filters

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


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
    picked = "-".join(filters.therapist_ids[:3]) if filters.therapist_ids else "all"
    return f"attune-{slug}-{filters.start.isoformat()}-to-{filters.end.isoformat()}-{picked}.{extension}"


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


def safe_frame(frame: pl.DataFrame) -> pl.DataFrame:
    """Flat, spreadsheet-safe: lists joined with '; ', formula-like text neutralised."""
    lists = [c for c, t in frame.schema.items() if isinstance(t, pl.List)]
    frame = frame.with_columns([pl.col(c).cast(pl.List(pl.Utf8)).list.join("; ") for c in lists])
    text_columns = [c for c, t in frame.schema.items() if t == pl.Utf8]
    return frame.with_columns(
        [pl.col(c).map_elements(neutralise, return_dtype=pl.Utf8) for c in text_columns]
    ) if text_columns and frame.height else frame


def csv_bytes(frame: pl.DataFrame, filters: Filters | None) -> bytes:
    buffer = io.StringIO()
    buffer.write(f"# Attune export; filters: {describe_filters(filters)}\n")
    safe_frame(frame).write_csv(buffer)
    return buffer.getvalue().encode("utf-8")
