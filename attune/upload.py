"""What the Data page shows about an uploaded file before importing it: its kind, a preview, the saved
mapping that fits it, the words in a categorical column and how its dates are written.

Each function reads the file itself (in a private in-memory DuckDB), never the clinic database.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import polars as pl

from attune import db, ingest, profiles
from attune.contract import SPECS, Column, Constant, Mapping, TableSpec, ValueMap
from attune.profiles import Profile
from attune.reader import (
    READ_CSV,
    UnreadableFileError,
    inspect_file,
    peek_headers,
    preview,
    read_csv_params,
    work_folder,
)

REJECT = "(reject these rows)"


@dataclass(frozen=True)
class FileAnalysis:
    name: str
    path: Path
    error: str | None = None
    labels: tuple[str, ...] = ()
    description: str = ""
    sheets: tuple[str, ...] = ()
    sheet: str | None = None
    kind: str | None = None  # as detected from the header
    preview: pl.DataFrame = field(default_factory=pl.DataFrame)
    profile: Profile | None = None  # a saved mapping made for this header layout


@dataclass
class ImportPlan:
    """What to import for one file, as chosen on the Data page."""

    name: str
    path: Path
    kind: str | None = None
    mapping: Mapping | None = None
    values: ValueMap = field(default_factory=dict)
    date_format: str = "auto"
    sheet: str | None = None
    blockers: list[str] = field(default_factory=list)  # why it cannot be imported yet

    @property
    def ready(self) -> bool:
        return not self.blockers


def analyse(path: Path, name: str | None = None, sheet: str | None = None, profiles_folder: Path | None = None,
            rows: int = 8) -> FileAnalysis:
    """Read enough of a file to show it: never raises for a bad file (the message is in `error`)."""
    name = name or Path(path).name
    with work_folder("analyse") as workdir:
        try:
            info = inspect_file(Path(path), Path(workdir), sheet=sheet)
        except UnreadableFileError as exc:
            return FileAnalysis(name, Path(path), error=str(exc).replace(Path(path).name, name))
        spec = ingest.detect_kind(info.headers)
        return FileAnalysis(name, Path(path), labels=info.labels, description=info.description, sheets=info.sheets,
                            sheet=info.sheet, kind=spec.kind if spec else None, preview=preview(info, rows),
                            profile=profiles.find_matching(info.labels, profiles_folder))


def import_order(paths: list[Path]) -> list[int]:
    """Indices of `paths` with the roster first, then sessions, then the rest (as the CLI does)."""
    order = list(SPECS)

    def rank(i: int) -> int:
        headers = peek_headers(paths[i])
        spec = ingest.detect_kind(headers) if headers else None
        return order.index(spec.kind) if spec else len(order)

    return sorted(range(len(paths)), key=rank)


def _staged_column(path: Path, sheet: str | None, index: int, workdir: Path) -> duckdb.DuckDBPyConnection:
    info = inspect_file(Path(path), workdir, sheet=sheet)
    con = duckdb.connect(config={"threads": "1"})
    db.run_script(con, "_ingest_macros")
    con.execute(f"CREATE TEMP TABLE staged AS SELECT c{int(index)} FROM {READ_CSV}", read_csv_params(info))
    return con


def source_values(path: Path, sheet: str | None, index: int, limit: int = 40) -> pl.DataFrame:
    """The most frequent values of one source column (blank cells left out): value, rows."""
    with work_folder("values") as workdir:
        con = _staged_column(path, sheet, index, Path(workdir))
        try:
            return con.sql(f"""SELECT clean(c{int(index)}) AS value, count(*) AS rows FROM staged
                               WHERE clean(c{int(index)}) IS NOT NULL GROUP BY ALL ORDER BY rows DESC, value
                               LIMIT $limit""", params={"limit": limit}).pl()
        finally:
            con.close()


def date_verdict(path: Path, sheet: str | None, index: int) -> tuple[str | None, str | None]:
    """How one source column writes dates: ('iso' | 'dmy' | 'mdy', None) or (None, an ambiguous example)."""
    with work_folder("dates") as workdir:
        con = _staged_column(path, sheet, index, Path(workdir))
        try:
            return ingest.date_verdict(con, f"clean(c{int(index)})")
        finally:
            con.close()


def interpretation(column: Column, word: str, custom: dict[str, str] | None = None) -> str | None:
    """What a word in a categorical column means now (built-in or the analyst's own), None if unknown."""
    from attune.contract import normalise_word

    return ingest.value_words(column, custom).get(normalise_word(word))


def initial_mapping(analysis: FileAnalysis, spec: TableSpec, use_profile: bool) -> Mapping:
    """The mapping the editor starts from: the saved profile's when it is used, else the automatic one."""
    if use_profile and analysis.profile is not None and analysis.profile.kind == spec.kind:
        try:
            return analysis.profile.mapping_for(analysis.labels)
        except profiles.ProfileError:
            pass
    return ingest.auto_mapping(spec, analysis.labels)


def blockers(spec: TableSpec, mapping: Mapping) -> list[str]:
    """What stops this mapping from being imported: required columns with no source."""
    out = []
    missing = [c.name for c in ingest.missing_required(spec, mapping)]
    if missing:
        out.append(f"Choose the column{'s' if len(missing) > 1 else ''} that hold{'' if len(missing) > 1 else 's'} "
                   f"{', '.join(missing)} (required).")
    for name, target in mapping.items():
        if isinstance(target, Constant) and not target.value.strip():
            out.append(f"Type the constant value for {name}, or mark it as not present.")
    return out
