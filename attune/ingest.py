"""Importing an export: detect its kind, map its columns, validate, and apply it in one transaction.

A file is either applied completely (all its valid rows, or with `keep_valid=False` only when every row
is valid) or not at all. Every applied file becomes an import batch that can be undone exactly.

The work is a handful of set-based passes in DuckDB: stage the file as text (while a csv walk numbers
its lines), work out each date column's format, type and check every row in one SELECT, find repeated
ids with one aggregate, and merge against the table.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import NamedTuple

import duckdb
import polars as pl

from attune import attention, db, derived
from attune.contract import (
    CATEGORIES,
    NOT_HELD,
    SPECS,
    THERAPIST_REFERENCES,
    VALUE_WORDS,
    Column,
    Constant,
    Mapping,
    TableSpec,
    ValueMap,
    direct_identifier_headers,
    normalise_header,
    normalise_word,
)
from attune.exports import safe_frame
from attune.formatting import counted
from attune.profiles import Profile, ProfileError
from attune.reader import (
    FileInfo,
    UnreadableFileError,
    inspect_file,
    line_offset,
    stage,
    staged_column,
    work_folder,
)

__all__ = ["AmbiguousDatesError", "Constant", "ImportReport", "Mapping", "Problem", "import_file"]

Progress = Callable[[float, str], None]


class StepClock:
    """Passes the import's progress messages on and times its steps (each lasts until the next begins), so a
    report says where an import spent its time: reading, checking, merging, the summary tables..."""

    def __init__(self, progress: Progress):
        self.progress = progress
        self.seconds: dict[str, float] = {}
        self._step: str | None = None
        self._since = time.perf_counter()

    def __call__(self, fraction: float, message: str, step: str | None = None) -> None:
        self.begin(step)
        self.progress(fraction, message)

    def begin(self, step: str | None) -> None:
        """End the current step and start `step` (None: stop timing)."""
        now = time.perf_counter()
        if self._step is not None:
            self.seconds[self._step] = self.seconds.get(self._step, 0.0) + now - self._since
        self._step, self._since = step, now


# Date formats per reading order, tried in the order the file's own values favour. ISO values
# (2025-04-03, 2025-04-03 14:00, 2025-04-03T14:00:00) are read by a cast in every family. Two-digit
# years come first: %Y would read "03/04/25" as the year 25.
DATE_FORMATS: dict[str, list[str]] = {
    "iso": [],
    "dmy": ["%d/%m/%y %H:%M", "%d/%m/%y", "%d/%m/%Y %H:%M:%S", "%d/%m/%Y %H:%M", "%d/%m/%Y %I:%M %p", "%d/%m/%Y",
            "%d.%m.%y", "%d.%m.%Y %H:%M:%S", "%d.%m.%Y %H:%M", "%d.%m.%Y", "%d-%m-%y", "%d-%m-%Y %H:%M:%S",
            "%d-%m-%Y %H:%M", "%d-%m-%Y"],
    "mdy": ["%m/%d/%y %I:%M %p", "%m/%d/%y", "%m/%d/%Y %I:%M %p", "%m/%d/%Y %I:%M:%S %p", "%m/%d/%Y %H:%M:%S",
            "%m/%d/%Y %H:%M", "%m/%d/%Y", "%m-%d-%y", "%m-%d-%Y %H:%M", "%m-%d-%Y"],
}
NAMED_MONTH_FORMATS = ["%d %B %Y", "%d %b %Y", "%B %d, %Y", "%b %d, %Y", "%d-%b-%Y", "%d-%b-%y"]
DATE_FORMAT_LABELS = {"iso": "year-month-day (2025-04-03)", "dmy": "day/month/year (03/04/2025 = 3 April)",
                      "mdy": "month/day/year (04/03/2025 = 3 April)"}
MAX_PROBLEMS_LISTED = 1000
# Lookup columns a table stores beside the export's own (migration 005): column -> SQL over the typed row.
STORED_KEYS = {"sessions": {"client_key": "client_key(client_id)"}}
KEY_LABELS = {"therapists": "therapist id", "sessions": "session id", "switch_requests": "request id",
              "episodes": "client, therapist and start date",
              "feedback": "rating (session id, or client, therapist and date)"}


class AmbiguousDatesError(ValueError):
    """Dates that read correctly both day-first and month-first: the analyst must say which."""

    def __init__(self, column: str, example: str):
        self.column, self.example = column, example
        super().__init__(
            f"The dates in column '{column}' (e.g. {example}) could be day/month/year or month/day/year. "
            "Choose the date format for this file (--date-format dmy or mdy)."
        )


@dataclass
class Problem:
    line: int | None
    column: str | None
    value: str | None
    message: str
    unit: str = "line"

    def describe(self) -> str:
        where = f"{self.unit} {self.line}" if self.line else "file"
        col = f", column '{self.column}'" if self.column else ""
        return f"{where}{col}: {self.message}"


@dataclass
class ImportReport:
    file_name: str
    kind: str | None
    status: str  # imported | unchanged | rejected | unreadable
    batch_id: int | None = None
    rows_read: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    problems: list[Problem] = field(default_factory=list)
    problem_count: int = 0
    notes: list[str] = field(default_factory=list)
    file_hash: str | None = None
    rejects_file: str | None = None
    seconds: dict[str, float] = field(default_factory=dict)  # per step of the import (StepClock)

    def to_dict(self) -> dict:
        return asdict(self)

    @property
    def summary(self) -> str:
        if self.status == "unreadable":
            return f"{self.file_name}: not imported. {self.problems[0].message if self.problems else ''}"
        counts = (f"{counted(self.rows_read, 'row')} read: {self.inserted:,} new, {self.updated:,} updated, "
                  f"{self.unchanged:,} unchanged, {self.rejected:,} rejected")
        verdict = {
            "imported": f"imported as batch {self.batch_id}",
            "unchanged": f"nothing changed: every {'valid ' if self.rejected else ''}row is already in the database",
            "rejected": "not imported: nothing was written",
        }[self.status]
        return f"{self.file_name} ({self.kind}): {verdict}. {counts}."

    def problems_frame(self) -> pl.DataFrame:
        """The problems as a table an analyst can sort and download."""
        return pl.DataFrame(
            {"file": [self.file_name] * len(self.problems), "line": [p.line for p in self.problems],
             "column": [p.column for p in self.problems], "value": [p.value for p in self.problems],
             "problem": [p.message for p in self.problems]},
            schema={"file": pl.Utf8, "line": pl.Int64, "column": pl.Utf8, "value": pl.Utf8, "problem": pl.Utf8},
        )


@dataclass(frozen=True)
class DatePlan:
    family: str  # iso | dmy | mdy
    formats: tuple[str, ...]  # strptime formats, most likely first


def detect_kind(headers: tuple[str, ...] | list[str]) -> TableSpec | None:
    """The table whose signature columns the header names (directly or by synonym) best."""
    best, best_score = None, 0
    for spec in SPECS.values():
        mapped = set(auto_mapping(spec, headers))
        if not all(c.name in mapped for c in spec.columns if c.required and c.name in spec.signature):
            continue
        score = len(mapped & spec.signature) * 10 + len(mapped)
        if spec.signature & mapped and score > best_score:
            best, best_score = spec, score
    return best


def auto_mapping(spec: TableSpec, headers: tuple[str, ...] | list[str]) -> Mapping:
    """Canonical column -> source column index, by exact name first and then by known synonyms."""
    normalised = [normalise_header(h) for h in headers]
    mapping: Mapping = {}
    used: set[int] = set()
    for by_synonym in (False, True):
        for column in spec.columns:
            if column.name in mapping:
                continue
            names = column.synonyms if by_synonym else (column.name,)
            for name in names:
                hits = [i for i, h in enumerate(normalised) if h == name and i not in used]
                if hits:
                    mapping[column.name] = hits[0]
                    used.add(hits[0])
                    break
    return mapping


def missing_required(spec: TableSpec, mapping: Mapping) -> list[Column]:
    return [c for c in spec.columns if c.required and c.name not in mapping and not c.default_when_absent]


def value_words(column: Column, custom: dict[str, str] | None = None) -> dict[str, str]:
    """The words a categorical column understands: built-in ones, overridden by the analyst's own."""
    words = dict(VALUE_WORDS[column.type])
    words.update({normalise_word(w): v for w, v in (custom or {}).items()})
    return words


def import_file(
    con: duckdb.DuckDBPyConnection,
    path: Path | str,
    *,
    kind: str | None = None,
    mapping: Mapping | None = None,
    values: ValueMap | None = None,
    date_format: str = "auto",
    keep_valid: bool = False,
    imported_by: str = "cli",
    display_name: str | None = None,
    progress: Progress | None = None,
    sheet: str | None = None,
    profile: Profile | None = None,
    rejects_dir: Path | None = None,
    update_attention: bool = True,
) -> ImportReport:
    """Validate and apply one export file in a single transaction; never raises on bad content.

    The same transaction stores the attention list for the new data (attune/attention_facts.py), so other
    sessions see both at once; `update_attention=False` leaves that to the caller (the command line stores it
    once after all its files).

    A `profile` supplies the kind, mapping, value words, date format and sheet unless given explicitly.
    With `rejects_dir`, rows with problems are written there as a CSV with a `reason` column.
    """
    path = Path(path)
    name = display_name or path.name
    clock = StepClock(progress or (lambda _f, _m: None))
    if profile is not None:
        kind = kind or profile.kind
        values = values if values is not None else profile.values
        date_format = profile.date_format if date_format == "auto" else date_format
        sheet = sheet or profile.sheet
    clock(0.0, f"Opening {name}", "opening")
    with work_folder("import") as workdir:
        try:
            info = inspect_file(path, Path(workdir), sheet=sheet)
        except UnreadableFileError as exc:
            return ImportReport(name, kind, "unreadable", problems=[Problem(None, None, None, str(exc))])
        if profile is not None and mapping is None:
            try:
                mapping = profile.mapping_for(info.labels)
            except ProfileError as exc:
                return ImportReport(name, kind, "unreadable", file_hash=info.sha256,
                                    problems=[Problem(None, None, None, str(exc))])
        spec = SPECS[kind] if kind else detect_kind(info.headers)
        if spec is None:
            shown = ", ".join(info.labels[:8])
            return ImportReport(name, None, "unreadable", file_hash=info.sha256, problems=[Problem(
                None, None, None,
                f"No recognisable columns: the header ({shown}) matches none of sessions, feedback, "
                "episodes, switch requests or therapist roster. Map the columns on the Data page or "
                "with --mapping.")])
        mapping = dict(mapping if mapping is not None else auto_mapping(spec, info.headers))
        report = ImportReport(name, spec.kind, "rejected", file_hash=info.sha256, seconds=clock.seconds)
        absent = missing_required(spec, mapping)
        if absent:
            report.problems = [Problem(None, c.name, None, _missing_column_message(c)) for c in absent]
            report.problem_count = len(absent)
            report.status = "unreadable"
            return report
        identifiers = direct_identifier_headers(info.headers, {t for t in mapping.values() if isinstance(t, int)})
        if identifiers:
            report.notes.append(f"Left out {counted(len(identifiers), 'column')} that identify people directly ("
                                f"{', '.join(identifiers)}): Attune keeps pseudonymous ids only, never names, "
                                "contact details or birth dates.")
        for column in spec.columns:
            if column.default_when_absent and column.name not in mapping:
                mapping[column.name] = Constant(column.default_when_absent)
                report.notes.append(f"This export has no {column.name} column: every row counts as "
                                    f"{column.default_when_absent}.")
        cur = con.cursor()
        try:
            cur.execute("BEGIN TRANSACTION")
            _apply(cur, spec, info, mapping, values or {}, date_format, keep_valid, imported_by, name, report,
                   clock, rejects_dir, Path(workdir))
            if report.status == "imported" and update_attention:
                clock(0.9, "Updating the attention list", "attention_list")
                attention.store_current(cur)
            clock.begin("committing" if report.status == "imported" else "rolling_back")
            cur.execute("COMMIT" if report.status == "imported" else "ROLLBACK")
        except (AmbiguousDatesError, UnreadableFileError) as exc:
            cur.execute("ROLLBACK")
            report.status = "unreadable"
            column, value = (exc.column, exc.example) if isinstance(exc, AmbiguousDatesError) else (None, None)
            report.problems = [Problem(None, column, value, str(exc))]
            report.problem_count = 1
        except Exception:
            cur.execute("ROLLBACK")
            raise
        finally:
            cur.close()
        if report.status == "unchanged":
            _note_earlier_import(con, report)
        clock(1.0, report.summary)
        return report


def _missing_column_message(column: Column) -> str:
    also = f" (also accepted: {', '.join(column.synonyms[:5])})" if column.synonyms else ""
    return f"The file has no '{column.name}' column{also}; it is required."


def _note_earlier_import(con: duckdb.DuckDBPyConnection, report: ImportReport) -> None:
    with con.cursor() as cur:
        earlier = db.run_query(cur, "batch_by_hash", {"file_hash": report.file_hash})
    if earlier.height:
        report.notes.append(f"This exact file was imported before (batch {earlier['batch_id'][0]}, "
                            f"{earlier['imported_at'][0]:%Y-%m-%d %H:%M}); importing it again changes nothing.")


def _apply(cur, spec, info, mapping, values, date_format, keep_valid, imported_by, name, report, progress,
           rejects_dir, workdir) -> None:
    db.run_script(cur, "_ingest_macros")
    progress(0.05, f"Reading {name}", "reading")
    scan = stage(cur, info, workdir)
    if scan.problems:
        report.rows_read = len(scan.lines) + len(scan.problems)
        report.rejected = len(scan.problems)
        report.problem_count = len(scan.problems)
        report.problems = [Problem(line, None, None, msg, info.unit)
                           for line, msg in scan.problems[:MAX_PROBLEMS_LISTED]]
        report.notes.append(f"The file's structure is broken on the {info.unit}s listed; nothing was imported.")
        return
    labels = _labels(spec, mapping, info)
    progress(0.3, f"Checking {len(scan.lines):,} rows", "checking")
    _load_value_words(cur, spec, values)
    plans = {}
    for column in spec.columns:
        target = mapping.get(column.name)
        if column.type in ("timestamp", "date") and target is not None:
            plans[column.name] = (DatePlan("iso", tuple(NAMED_MONTH_FORMATS)) if isinstance(target, Constant)
                                  else date_plan(cur, staged_sql(target), labels[column.name], date_format))
    roster = spec.kind != "therapists" and cur.execute("SELECT count(*) FROM therapists").fetchall()[0][0] > 0
    sql, params = typed_select(spec, mapping, plans, labels, line_offset(scan), roster)
    cur.execute(f"CREATE OR REPLACE TEMP TABLE typed AS {sql}", params)
    report.rows_read = cur.execute("SELECT count(*) FROM typed").fetchall()[0][0]
    empty = len(scan.lines) - report.rows_read
    if empty:
        report.notes.append(f"{counted(empty, 'empty ' + info.unit)} (no values at all) skipped.")
    if report.rows_read == 0:
        report.status = "unreadable"
        report.problems = [Problem(None, None, None, f"{name} has a header but no rows of data.")]
        report.problem_count = 1
        return
    if spec.kind == "sessions" and _leave_out_not_held(cur, report) == report.rows_read:
        report.status = "unreadable"
        report.problems = [Problem(None, "status", None, "Every row is an appointment not held yet: nothing to "
                                                         "import until an export gives them an outcome.")]
        report.problem_count = 1
        return
    progress(0.55, "Looking for repeated ids", "repeated_ids")
    repeats = _reject_duplicates(cur, spec, info.unit)
    if repeats:
        one = repeats == 1
        report.notes.append(f"{counted(repeats, info.unit)} {'repeats' if one else 'repeat'} an earlier "
                            f"{info.unit} exactly and {'was' if one else 'were'} counted once.")
    bad, count = cur.execute("SELECT count(*), coalesce(sum(len(problems)), 0) FROM typed "
                             "WHERE len(problems) > 0").fetchall()[0]
    report.rejected, report.problem_count = bad, int(count)
    if bad:
        report.problems = _problems(cur, info.unit)
        if rejects_dir is not None:
            report.rejects_file = str(write_rejects(cur, info, name, Path(rejects_dir)))
        if not keep_valid:
            report.notes.append("Rows with problems were found, so nothing was imported. Fix them, or "
                                "choose to import the valid rows and set the rejected ones aside.")
            return
        if bad == report.rows_read - repeats:
            report.notes.append("Every row has a problem, so nothing was imported.")
            return
    progress(0.7, "Comparing with the database", "merging")
    if spec.kind == "feedback":
        _note_unplaced_ratings(cur, report)
    fresh = derived.fresh_tables(cur) if spec.kind in ("sessions", "feedback") else set()
    inserted, updated, unchanged = _merge(cur, spec, imported_by, name, info, report)
    report.inserted, report.updated, report.unchanged = inserted, updated, unchanged
    report.status = "imported" if (inserted or updated) else "unchanged"
    if report.status == "imported":
        # the rating and episode tables the pages read are rebuilt from all the data (a weekly feedback export's
        # ratings are appended to rating_facts): at 10M sessions this can be most of an import, so it is said
        progress(0.8, "Updating the summary tables", "summary_tables")
        if spec.kind == "feedback":
            db.bump_data_version(cur, ratings_batch=_ratings_batch(cur, fresh, inserted, updated, report.batch_id))
        else:
            db.bump_data_version(cur, _untouched_by_sessions(cur, fresh, updated, report.batch_id))


def _leave_out_not_held(cur, report: ImportReport) -> int:
    """Drop the appointments not held yet (status Scheduled, Booked...; contract.NOT_HELD), whatever else their
    row says: they are not imported, so their other cells cannot block the file. Returns how many."""
    left_out = cur.execute("DELETE FROM typed WHERE status = $not_held", {"not_held": NOT_HELD}).fetchall()[0][0]
    if left_out:
        one = left_out == 1
        report.notes.append(
            f"{counted(left_out, 'appointment')} not held yet (a status such as Scheduled or Booked) "
            f"{'was' if one else 'were'} left out: a session counts once it has an outcome, and a later export "
            f"that gives {'it' if one else 'them'} one imports {'it' if one else 'them'}.")
    return left_out


def _note_unplaced_ratings(cur, report: ImportReport) -> None:
    """Ratings are kept when their session is not in the database yet (the feedback export may come first), but
    without the client, therapist and date of their own the ratings view cannot place them: they count nowhere
    until the session arrives. The analyst is told, with an id to look for."""
    unplaced, example = cur.execute("""
        SELECT count(*), min(t.session_id) FROM typed t ANTI JOIN sessions s USING (session_id)
        WHERE len(t.problems) = 0 AND t.session_id IS NOT NULL
          AND (t.client_id IS NULL OR t.therapist_id IS NULL OR t.rated_on IS NULL)""").fetchall()[0]
    if unplaced:
        one = unplaced == 1
        report.notes.append(
            f"{counted(unplaced, 'rating')} {'names a session' if one else 'name sessions'} not in the database "
            f"(e.g. {example}): kept, but counted nowhere until {'that session is' if one else 'those sessions are'} "
            "imported. Import the sessions export, or check the session ids.")


def _ratings_batch(cur, fresh: set[str], inserted: int, updated: int, batch_id: int | None) -> int | None:
    """The feedback batch the derived tables may take on its own (derived.TAKES_RATINGS_BATCH: appended to
    rating_facts, added to ors_pairs, new SRS figures for its episodes): when they were up to date before this
    import, the import only added ratings (a changed one can move in time or change a relationship's numbering),
    and fewer than were stored. A batch of most of the ratings (a first import) is rebuilt: that does the same work
    without staging them (1.6-1.9 s against 1.9-2.2 s for 638,706 ratings into an empty table), and spares the
    check."""
    if not fresh >= derived.TAKES_RATINGS_BATCH.keys() or updated:
        return None
    stored = cur.execute("SELECT count(*) FROM feedback").fetchall()[0][0] - inserted
    return batch_id if inserted < stored else None


def _untouched_by_sessions(cur, fresh: set[str], updated: int, batch_id: int | None) -> set[str]:
    """The rating tables a sessions import leaves as they were: those fresh before it, when it only added
    sessions (an updated one can move a rating's time or therapist) and no rating names any of them (a weekly
    export's new appointments, rated by the feedback export that follows). Empty for other imports."""
    if not fresh or updated or db.run_row(cur, "batch_sessions_rated", {"batch_id": batch_id})[0]:
        return set()
    return fresh & set(derived.RATING_TABLES)


def _labels(spec: TableSpec, mapping: Mapping, info: FileInfo) -> dict[str, str]:
    """How each canonical column is named in problem reports: the analyst's own header for it."""
    shown = info.labels
    return {c.name: (shown[mapping[c.name]] if isinstance(mapping.get(c.name), int) else c.name)
            for c in spec.columns}


def _load_value_words(cur, spec: TableSpec, values: ValueMap) -> None:
    rows = [(c.name, w, v) for c in spec.columns if c.type in CATEGORIES
            for w, v in value_words(c, values.get(c.name)).items()]
    cur.execute("CREATE OR REPLACE TEMP TABLE value_words (domain VARCHAR, word VARCHAR, value VARCHAR)")
    if rows:
        cur.executemany("INSERT INTO value_words VALUES (?, ?, ?)", rows)


def staged_sql(target: int | Constant) -> str:
    return f"clean({staged_column(target)})" if isinstance(target, int) else "NULL"


def date_verdict(cur: duckdb.DuckDBPyConnection, source: str) -> tuple[str | None, str | None]:
    """How the dates in `source` (an expression over `staged`) are written: (family, example).

    family is iso, dmy or mdy, or None when every numeric date reads both day-first and month-first
    (then `example` shows one). Two aggregate passes at most; the second only for non-ISO values.
    """
    return _verdict(cur, source)[:2]


def _verdict(cur: duckdb.DuckDBPyConnection, source: str) -> tuple[str | None, str | None, bool]:
    """date_verdict, plus whether every value was ISO (then no other format needs ranking)."""
    total, iso = cur.execute(f"SELECT count(v), count(iso_timestamp(v)) FROM (SELECT {source} AS v FROM staged)"
                             ).fetchall()[0]
    if total == iso:
        return "iso", None, True
    day_first, month_first, numeric, example = cur.execute(f"""
        WITH v AS (SELECT {source} AS v FROM staged),
        parts AS (
            SELECT v, regexp_extract(v, '^(\\d{{1,2}})[/.\\-](\\d{{1,2}})[/.\\-]\\d{{2,4}}(\\D|$)', ['a', 'b']) AS p
            FROM v WHERE v IS NOT NULL AND iso_timestamp(v) IS NULL
        ),
        n AS (SELECT v, TRY_CAST(p.a AS INTEGER) AS a, TRY_CAST(p.b AS INTEGER) AS b FROM parts)
        SELECT count(*) FILTER (WHERE a BETWEEN 13 AND 31 AND b BETWEEN 1 AND 12),
               count(*) FILTER (WHERE b BETWEEN 13 AND 31 AND a BETWEEN 1 AND 12),
               count(a),
               min(v) FILTER (WHERE a BETWEEN 1 AND 12 AND b BETWEEN 1 AND 12 AND a <> b)
        FROM n""").fetchall()[0]
    if day_first or month_first:
        if day_first == month_first:
            return None, example, False
        return ("dmy" if day_first > month_first else "mdy"), None, False
    if numeric:
        return (None, example, False) if example else ("dmy", None, False)
    return "iso", None, False


def date_plan(cur: duckdb.DuckDBPyConnection, source: str, label: str, requested: str) -> DatePlan:
    """The reading order for one date column and its formats, most frequent (in a sample) first."""
    if requested in DATE_FORMATS:
        family = requested
    else:
        family, example, only_iso = _verdict(cur, source)
        if family is None:
            raise AmbiguousDatesError(label, example)
        if only_iso:
            return DatePlan("iso", tuple(NAMED_MONTH_FORMATS))  # nothing but ISO: no other format to rank
    candidates = DATE_FORMATS[family] + NAMED_MONTH_FORMATS
    counts = cur.execute(
        "SELECT " + ", ".join(f"count(try_strptime(v, ${f'f{i}'}))" for i in range(len(candidates)))
        + f" FROM (SELECT {source} AS v FROM staged WHERE {source} IS NOT NULL "
          f"AND iso_timestamp({source}) IS NULL LIMIT 2000)",
        {f"f{i}": f for i, f in enumerate(candidates)},
    ).fetchall()[0]
    ranked = sorted(range(len(candidates)), key=lambda i: -counts[i])
    return DatePlan(family, tuple(candidates[i] for i in ranked))


def typed_select(spec: TableSpec, mapping: Mapping, plans: dict[str, DatePlan], labels: dict[str, str],
                 offset: int | None, roster: bool) -> tuple[str, dict]:
    """One SELECT over `staged`: each canonical column typed, the row's key and hash, and its problems.

    Problems are structs {col, val, msg}; col is the analyst's header name (bound, like every value).
    Rows whose mapped cells are all empty are left out.
    """
    params: dict = {}
    raws, typed, checks, joins = [], [], [], []
    line = "s.rec + $line_offset" if offset is not None else "l.line"
    if offset is not None:
        params["line_offset"] = offset
    source_cols = []
    for column in spec.columns:
        name, target = column.name, mapping.get(column.name)
        params[f"lbl_{name}"] = labels[name]
        if target is None:
            raws.append(f"NULL::VARCHAR AS r_{name}")
            typed.append(f"NULL::{_sql_type(column)} AS {name}")
            continue
        if isinstance(target, Constant):
            params[f"const_{name}"] = target.value
            raws.append(f"clean($const_{name}) AS r_{name}")
        else:
            raws.append(f"clean(s.{staged_column(target)}) AS r_{name}")
            source_cols.append(f"r_{name}")
        raw = f"r_{name}"
        if column.type in ("int", "real"):
            raws.append(f"as_number({raw}) AS n_{name}")  # once, however often the typed expression uses it
        typed.append(f"{_typed_expr(column, raw, plans.get(name), params)} AS {name}")
        if column.type in CATEGORIES:
            joins.append(f"LEFT JOIN (SELECT word, value FROM value_words WHERE domain = $dom_{name}) w_{name} "
                         f"ON w_{name}.word = word({raw})")
            params[f"dom_{name}"] = name
        checks.extend(_column_checks(column, raw, plans.get(name), params))
        if roster and name in THERAPIST_REFERENCES:
            checks.append(Check(f"{name} IS NOT NULL AND {name} NOT IN (SELECT therapist_id FROM therapists)",
                                f"{{'col': $lbl_{name}, 'val': {raw}, 'msg': 'therapist \"' || {raw} || "
                                f"'\" is not in the therapist roster (import the roster first, or add them to it)'}}"))
    checks.extend(_row_checks(spec, params))
    names = ", ".join(spec.names)
    nonempty = " OR ".join(f"{c} IS NOT NULL" for c in source_cols) or "true"
    line_join = "" if offset is not None else "JOIN line_numbers l USING (rec)"
    sql = f"""
    WITH src AS (
        SELECT s.rec, {line} AS line, {', '.join(raws)}
        FROM staged s {line_join}
    ), t AS (
        SELECT src.*, {', '.join(typed)}
        FROM src {' '.join(joins)}
        WHERE {nonempty}
    )
    SELECT {_row_key_expr(spec)} AS row_key, rec, line, {names}, hash({names}) AS row_hash,
           {_problems_expr(checks)} AS problems
    FROM t
    """
    used = set(re.findall(r"\$([A-Za-z_][A-Za-z0-9_]*)", sql))
    return sql, {k: v for k, v in params.items() if k in used}


class Check(NamedTuple):
    """One rule a row must meet: `fails` (SQL, true when the row breaks it) and the problem it reports
    (a {col, val, msg} struct in SQL)."""

    fails: str
    problem: str


def _problems_expr(checks: list[Check]) -> str:
    """The row's problems as a list of structs, built only for a row that breaks a rule.

    Building the list for every row (a struct per rule, then a filter) cost more than the checks themselves;
    a valid row gets the empty list after testing the rules once.
    """
    if not checks:
        return "[]::STRUCT(col VARCHAR, val VARCHAR, msg VARCHAR)[]"
    problems = ", ".join(f"CASE WHEN {c.fails} THEN {c.problem} END" for c in checks)
    return (f"CASE WHEN {' OR '.join(f'({c.fails})' for c in checks)} "
            f"THEN list_filter([{problems}]::STRUCT(col VARCHAR, val VARCHAR, msg VARCHAR)[], lambda p: p IS NOT NULL) "
            "ELSE []::STRUCT(col VARCHAR, val VARCHAR, msg VARCHAR)[] END")


def _sql_type(column: Column) -> str:
    return {"int": "INTEGER", "real": "DOUBLE", "timestamp": "TIMESTAMP", "date": "DATE",
            "bool": "BOOLEAN"}.get(column.type, "VARCHAR")


def _typed_expr(column: Column, raw: str, plan: DatePlan | None, params: dict) -> str:
    if column.type == "text":
        return raw
    if column.type == "int":
        return f"CASE WHEN n_{column.name} = round(n_{column.name}) THEN TRY_CAST(n_{column.name} AS INTEGER) END"
    if column.type == "real":
        return f"n_{column.name}"
    if column.type in ("timestamp", "date"):
        assert plan is not None
        parsed = []
        for i, fmt in enumerate(plan.formats):
            params[f"fmt_{column.name}_{i}"] = fmt
            parsed.append(f"try_strptime({raw}, $fmt_{column.name}_{i})")
        cast = f"iso_timestamp({raw})"
        parts = [cast, *parsed] if plan.family == "iso" else [*parsed, cast]
        return f"coalesce({', '.join(parts)}){'::DATE' if column.type == 'date' else ''}"
    if column.type == "bool":
        return f"as_bool({raw})"
    return f"w_{column.name}.value"


def _column_checks(column: Column, raw: str, plan: DatePlan | None, params: dict) -> list[Check]:
    name, label = column.name, f"$lbl_{column.name}"
    checks = []
    if column.required:
        checks.append(Check(f"{raw} IS NULL", f"{{'col': {label}, 'val': NULL, "
                                              "'msg': 'a value is required here but the cell is empty'}"))
    if column.type != "text":
        params[f"expect_{name}"] = _expected(column, plan)
        checks.append(Check(f"{raw} IS NOT NULL AND {name} IS NULL",
                            f"{{'col': {label}, 'val': {raw}, 'msg': '\"' || {raw} || '\" ' || $expect_{name}}}"))
    if column.low is not None:
        checks.append(Check(
            f"{name} NOT BETWEEN {column.low:g} AND {column.high:g}",
            f"{{'col': {label}, 'val': {raw}, 'msg': {raw} || ' is outside the allowed range {column.low:g} to "
            f"{column.high:g}'}}"))
    if column.type in ("timestamp", "date"):
        checks.append(Check(
            f"year({name}) NOT BETWEEN 1900 AND 2100",
            f"{{'col': {label}, 'val': {raw}, 'msg': '\"' || {raw} || '\" reads as the year ' || year({name}) || "
            "', which is not plausible'}"))
    return checks


def _expected(column: Column, plan: DatePlan | None) -> str:
    if column.type == "int":
        return "is not a whole number"
    if column.type == "real":
        return "is not a number"
    if column.type in ("timestamp", "date"):
        return f"is not a date in the format {DATE_FORMAT_LABELS[plan.family if plan else 'iso']}"
    if column.type == "bool":
        return "is not yes/no (or true/false)"
    allowed = ", ".join(CATEGORIES[column.type])
    return (f"is not a known {column.name.replace('_', ' ')} word (expected one of: {allowed}; "
            "or map it to one of them on the Data page)")


def _row_checks(spec: TableSpec, params: dict) -> list[Check]:
    if spec.kind != "feedback":
        return []
    checks = []
    for scale in ("srs", "ors"):
        items = [f"{scale}_{i}" for i in (("relationship", "goals", "approach", "overall") if scale == "srs"
                                          else ("individual", "interpersonal", "social", "overall"))]
        total = f"{scale}_total"
        item_sum = " + ".join(items)
        in_range = " AND ".join(f"{c} BETWEEN 0 AND 10" for c in items)
        checks.append(Check(
            f"{total} BETWEEN 0 AND 40 AND {in_range} AND abs({total} - ({item_sum})) > 0.5",
            f"{{'col': $lbl_{total}, 'val': r_{total}, 'msg': 'the total ' || printf('%g', {total}) || "
            f"' does not equal the sum of the four items ' || printf('%g', round({item_sum}, 2))}}"))
    checks.append(Check(
        "session_id IS NULL AND (client_id IS NULL OR therapist_id IS NULL OR rated_on IS NULL)",
        "{'col': $lbl_session_id, 'val': NULL, 'msg': 'each rating needs a session_id, or client_id, "
        "therapist_id and rated_on together'}"))
    checks.append(Check(
        "coalesce(r_srs_total, r_srs_relationship, r_srs_goals, r_srs_approach, r_srs_overall, r_ors_total, "
        "r_ors_individual, r_ors_interpersonal, r_ors_social, r_ors_overall) IS NULL",
        "{'col': NULL, 'val': NULL, 'msg': 'the row has no SRS or ORS score'}"))
    return checks


def _row_key_expr(spec: TableSpec) -> str:
    """The identity of an incoming row; a rating without a session id is keyed by who, whom and when."""
    if spec.kind == "feedback":
        return "coalesce(session_id, client_id || '|' || therapist_id || '|' || strftime(rated_on, '%Y-%m-%d'))"
    return _key_expr_for(spec.key)


def _reject_duplicates(cur, spec: TableSpec, unit: str) -> int:
    """Rows sharing a key with different values are all rejected; exact repeats keep the first.

    A plain count per key finds the repeated keys (usually none); only those get the costlier aggregate
    (collecting their lines), and only they are touched.
    Returns how many exact repeats were dropped.
    """
    cur.execute("""
        CREATE OR REPLACE TEMP TABLE repeats AS
        WITH valid AS (SELECT row_key, rec, line, row_hash FROM typed WHERE len(problems) = 0 AND row_key IS NOT NULL),
        repeated AS (SELECT row_key FROM valid GROUP BY row_key HAVING count(*) > 1)
        SELECT row_key, count(DISTINCT row_hash) AS versions, min(rec) AS first_rec, count(*) AS n,
               list(line ORDER BY line) AS lines
        FROM valid SEMI JOIN repeated USING (row_key)
        GROUP BY row_key
    """)
    if not cur.execute("SELECT count(*) FROM repeats").fetchall()[0][0]:
        return 0
    key_col = "session_id" if spec.kind == "feedback" else spec.key[0]
    cur.execute("""
        UPDATE typed SET problems = list_append(typed.problems, {
            'col': $label, 'val': typed.row_key,
            'msg': 'the same ' || $key_label || ' appears on ' || $unit || 's '
                   || array_to_string(list_slice(r.lines, 1, 10), ', ')
                   || CASE WHEN r.n > 10 THEN ' (and ' || (r.n - 10) || ' more)' ELSE '' END
                   || ' with different values'})
        FROM repeats r
        WHERE typed.row_key = r.row_key AND r.versions > 1 AND len(typed.problems) = 0
    """, {"label": key_col, "key_label": KEY_LABELS[spec.kind], "unit": unit})
    dropped = cur.execute("""
        DELETE FROM typed USING repeats r
        WHERE typed.row_key = r.row_key AND r.versions = 1 AND typed.rec > r.first_rec AND len(typed.problems) = 0
    """).fetchall()[0][0]
    return dropped


def _problems(cur, unit: str) -> list[Problem]:
    rows = cur.execute("""
        SELECT line, p.col, p.val, p.msg FROM (SELECT line, unnest(problems) AS p FROM typed
                                              WHERE len(problems) > 0)
        ORDER BY line LIMIT $n""", {"n": MAX_PROBLEMS_LISTED}).fetchall()
    return [Problem(line, col, val, msg, unit) for line, col, val, msg in rows]


def write_rejects(cur, info: FileInfo, name: str, folder: Path) -> Path:
    """The rows with problems, as the file had them, plus their line and a `reason` column."""
    columns = [staged_column(i) for i in range(len(info.headers))]
    frame = cur.sql(f"""
        SELECT t.line, {', '.join('s.' + c for c in columns)},
               array_to_string(list_transform(t.problems, lambda p: coalesce(p.col || ': ', '') || p.msg), '; ')
                   AS reason
        FROM typed t JOIN staged s USING (rec)
        WHERE len(t.problems) > 0 ORDER BY t.line""").pl()
    frame = frame.rename(dict(zip(columns, info.labels, strict=True)) | {"line": info.unit})
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{Path(name).stem}-rejected.csv"
    safe_frame(frame).write_csv(target)
    return target


def _merge(cur, spec: TableSpec, imported_by: str, name: str, info: FileInfo, report) -> tuple[int, int, int]:
    table = spec.table
    key_cols = ("feedback_key",) if spec.kind == "feedback" else spec.key
    # One join finds the incoming rows whose key is already stored (none, on a first import) and whether they
    # changed; only their keys are set aside, and everything else in the file is new.
    cur.execute(f"""
        CREATE OR REPLACE TEMP TABLE matched AS
        SELECT i.row_key, t.row_hash = i.row_hash AS same
        FROM typed i JOIN (SELECT {_key_expr_for(key_cols)} AS row_key, row_hash FROM {table}) t USING (row_key)
        WHERE len(i.problems) = 0""")
    valid, unchanged, updated = cur.execute("""
        SELECT (SELECT count(*) FROM typed WHERE len(problems) = 0), count(*) FILTER (WHERE same),
               count(*) FILTER (WHERE NOT same)
        FROM matched""").fetchall()[0]
    inserted = valid - unchanged - updated
    if not (inserted or updated):
        return inserted, updated, unchanged
    batch_id = cur.execute("SELECT nextval('import_batch_seq')").fetchall()[0][0]
    if updated:
        cur.execute(f"""
            INSERT INTO {table}_history
            SELECT t.*, $batch FROM {table} t
            WHERE {_key_expr_for(key_cols, 't')} IN (SELECT row_key FROM matched WHERE NOT same)
        """, {"batch": batch_id})
        cur.execute(f"""DELETE FROM {table}
            WHERE {_key_expr_for(key_cols)} IN (SELECT row_key FROM matched WHERE NOT same)""")
    columns = [c.name for c in spec.columns]
    stored_keys = STORED_KEYS.get(spec.kind, {})
    target_cols = (["feedback_key"] if spec.kind == "feedback" else []) + columns + list(stored_keys)
    select_cols = (["row_key"] if spec.kind == "feedback" else []) + columns + list(stored_keys.values())
    cur.execute(f"""
        INSERT INTO {table} ({', '.join(target_cols)}, batch_id, source_line, row_hash)
        SELECT {', '.join(select_cols)}, $batch, line, row_hash FROM typed
        WHERE len(problems) = 0 AND row_key NOT IN (SELECT row_key FROM matched WHERE same)
    """, {"batch": batch_id})
    db.execute(cur, "insert_import_batch", {
        "batch_id": batch_id, "kind": spec.kind, "file_name": name, "file_hash": info.sha256,
        "imported_by": imported_by, "rows_read": report.rows_read, "inserted": inserted, "updated": updated,
        "unchanged": unchanged, "rejected": report.rejected, "notes": " ".join(report.notes) or None,
    })
    db.execute(cur, "record_audit", {  # in the import's own transaction: both land, or neither
        "actor": imported_by, "role": None, "action": "import",
        "detail": f"batch {batch_id}: {name} ({spec.kind}), {inserted:,} new, {updated:,} updated, "
                  f"{report.rejected:,} rejected"})
    report.batch_id = batch_id
    return inserted, updated, unchanged


def _key_expr_for(key_cols: tuple[str, ...], alias: str | None = None) -> str:
    prefix = f"{alias}." if alias else ""
    return " || '|' || ".join(f"coalesce({prefix}{k}::VARCHAR, '')" for k in key_cols)
