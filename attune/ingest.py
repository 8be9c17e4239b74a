"""Importing an export: detect its kind, map its columns, validate, and apply it in one transaction.

A file is either applied completely (all its valid rows, or with `keep_valid=False` only when every row
is valid) or not at all. Every applied file becomes an import batch that can be undone exactly.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import duckdb

from attune import db
from attune.contract import SPECS, VALUE_WORDS, Column, TableSpec, normalise_header
from attune.reader import FileInfo, UnreadableFileError, inspect_file, record_lines, stage, staged_column

Progress = Callable[[float, str], None]

DATE_FORMATS: dict[str, list[str]] = {
    "iso": ["%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S.%f", "%Y-%m-%d %H:%M",
            "%Y-%m-%dT%H:%M", "%Y-%m-%d"],
    "dmy": ["%d/%m/%Y %H:%M:%S", "%d/%m/%Y %H:%M", "%d/%m/%Y", "%d.%m.%Y %H:%M", "%d.%m.%Y",
            "%d-%m-%Y %H:%M", "%d-%m-%Y", "%d/%m/%y"],
    "mdy": ["%m/%d/%Y %H:%M:%S", "%m/%d/%Y %I:%M %p", "%m/%d/%Y %H:%M", "%m/%d/%Y", "%m-%d-%Y %H:%M",
            "%m-%d-%Y", "%m/%d/%y"],
}
DATE_FORMAT_LABELS = {"iso": "year-month-day (2025-04-03)", "dmy": "day/month/year (03/04/2025 = 3 April)",
                      "mdy": "month/day/year (04/03/2025 = 3 April)"}
MAX_PROBLEMS_LISTED = 1000


class AmbiguousDatesError(ValueError):
    """Dates that read correctly both day-first and month-first: the analyst must say which."""

    def __init__(self, column: str, example: str):
        self.column, self.example = column, example
        super().__init__(
            f"The dates in column '{column}' (e.g. {example}) could be day/month/year or month/day/year. "
            "Choose the date format for this file (--date-format dmy or mdy)."
        )


@dataclass(frozen=True)
class Constant:
    """A mapping target filled with the same value on every row (e.g. the site of a one-site clinic)."""

    value: str


Mapping = dict[str, "int | Constant"]


@dataclass
class Problem:
    line: int | None
    column: str | None
    value: str | None
    message: str

    def describe(self) -> str:
        where = f"line {self.line}" if self.line else "file"
        col = f", column {self.column}" if self.column else ""
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
    notes: list[str] = field(default_factory=list)
    file_hash: str | None = None

    def to_dict(self) -> dict:
        return asdict(self)

    @property
    def summary(self) -> str:
        if self.status == "unreadable":
            return f"{self.file_name}: not imported. {self.problems[0].message if self.problems else ''}"
        counts = (f"{self.rows_read:,} rows read: {self.inserted:,} new, {self.updated:,} updated, "
                  f"{self.unchanged:,} unchanged, {self.rejected:,} rejected")
        verdict = {
            "imported": f"imported as batch {self.batch_id}",
            "unchanged": "nothing changed: every row is already in the database",
            "rejected": "not imported: nothing was written",
        }[self.status]
        return f"{self.file_name} ({self.kind}): {verdict}. {counts}."


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


def import_file(
    con: duckdb.DuckDBPyConnection,
    path: Path | str,
    *,
    kind: str | None = None,
    mapping: Mapping | None = None,
    date_format: str = "auto",
    keep_valid: bool = False,
    imported_by: str = "cli",
    display_name: str | None = None,
    progress: Progress | None = None,
) -> ImportReport:
    """Validate and apply one export file in a single transaction; never raises on bad content."""
    path = Path(path)
    name = display_name or path.name
    report_progress = progress or (lambda _f, _m: None)
    with tempfile.TemporaryDirectory(prefix="attune-import-") as workdir:
        try:
            info = inspect_file(path, Path(workdir))
        except UnreadableFileError as exc:
            return ImportReport(name, kind, "unreadable", problems=[Problem(None, None, None, str(exc))])
        spec = SPECS[kind] if kind else detect_kind(info.headers)
        if spec is None:
            shown = ", ".join(h.strip() for h in info.headers[:8])
            return ImportReport(name, None, "unreadable", file_hash=info.sha256, problems=[Problem(
                None, None, None,
                f"No recognisable columns: the header ({shown}) matches none of sessions, feedback, "
                "episodes, switch requests or therapist roster. Map the columns on the Data page or "
                "with --mapping.")])
        mapping = dict(mapping if mapping is not None else auto_mapping(spec, info.headers))
        report = ImportReport(name, spec.kind, "rejected", file_hash=info.sha256)
        absent = missing_required(spec, mapping)
        if absent:
            report.problems = [Problem(None, c.name, None, _missing_column_message(c)) for c in absent]
            report.status = "unreadable"
            return report
        for column in spec.columns:
            if column.default_when_absent and column.name not in mapping:
                mapping[column.name] = Constant(column.default_when_absent)
                report.notes.append(f"This export has no {column.name} column: every row counts as "
                                    f"{column.default_when_absent}.")
        report_progress(0.05, f"Reading {name}")
        cur = con.cursor()
        try:
            cur.execute("BEGIN TRANSACTION")
            _apply(cur, spec, info, mapping, date_format, keep_valid, imported_by, name, report, report_progress)
            if report.status == "imported":
                cur.execute("COMMIT")
            else:
                cur.execute("ROLLBACK")
        except (AmbiguousDatesError, UnreadableFileError) as exc:
            cur.execute("ROLLBACK")
            report.status = "unreadable"
            column, value = (exc.column, exc.example) if isinstance(exc, AmbiguousDatesError) else (None, None)
            report.problems = [Problem(None, column, value, str(exc))]
        except Exception:
            cur.execute("ROLLBACK")
            raise
        finally:
            cur.close()
        report_progress(1.0, report.summary)
        return report


def _missing_column_message(column: Column) -> str:
    also = f" (also accepted: {', '.join(column.synonyms[:5])})" if column.synonyms else ""
    return f"The file has no '{column.name}' column{also}; it is required."


def _apply(cur, spec, info, mapping, date_format, keep_valid, imported_by, name, report, progress) -> None:
    db.run_script(cur, "_ingest_macros")
    structural = stage(cur, info)
    report.rows_read = cur.execute("SELECT count(*) FROM staged").fetchall()[0][0]
    if structural:
        report.rejected = report.rows_read
        report.problems = [Problem(line, None, None, msg) for line, msg in structural[:MAX_PROBLEMS_LISTED]]
        report.notes.append("The file's structure is broken on the lines listed; nothing was imported.")
        return
    progress(0.3, f"Checking {report.rows_read:,} rows")
    _load_value_words(cur)
    formats = {c.name: _date_format(cur, c, mapping[c.name], date_format)
               for c in spec.columns if c.type in ("timestamp", "date") and c.name in mapping}
    typed, params = _typed_select(spec, mapping, formats)
    cur.execute(f"CREATE OR REPLACE TEMP TABLE typed AS {typed}", params)
    _reject_duplicates(cur, spec)
    bad = cur.execute("SELECT count(*) FROM typed WHERE len(problems) > 0").fetchall()[0][0]
    report.rejected = bad
    if bad:
        report.problems = _problems(cur, info)
        if not keep_valid:
            report.notes.append("Rows with problems were found, so nothing was imported. Fix them, or "
                                "choose to import the valid rows and set the rejected ones aside.")
            return
    progress(0.6, "Comparing with the database")
    inserted, updated, unchanged = _merge(cur, spec, imported_by, name, info, report)
    report.inserted, report.updated, report.unchanged = inserted, updated, unchanged
    report.status = "imported" if (inserted or updated) else "unchanged"


def _load_value_words(cur) -> None:
    rows = [(domain, w, v) for domain, words in VALUE_WORDS.items() for w, v in words.items()]
    cur.execute("CREATE OR REPLACE TEMP TABLE value_words (domain VARCHAR, word VARCHAR, value VARCHAR)")
    cur.executemany("INSERT INTO value_words VALUES (?, ?, ?)", rows)


def _source(target: int | Constant, param: str, params: dict) -> str:
    if isinstance(target, Constant):
        params[param] = target.value
        return f"clean(${param})"
    return f"clean({staged_column(target)})"


def _date_format(cur, column: Column, target: int | Constant, date_format: str) -> str:
    """iso, dmy or mdy: the one every value of the column parses with; ambiguous ones are asked."""
    if date_format != "auto":
        return date_format
    if isinstance(target, Constant):
        return "iso"
    col = staged_column(target)
    counts = cur.execute(
        f"""SELECT count(clean({col})),
                   count(try_strptime(clean({col}), $iso)),
                   count(try_strptime(clean({col}), $dmy)),
                   count(try_strptime(clean({col}), $mdy)),
                   any_value(clean({col})) FILTER (WHERE try_strptime(clean({col}), $dmy) IS NOT NULL)
            FROM staged""",
        DATE_FORMATS,
    ).fetchall()[0]
    total, iso, dmy, mdy, example = counts
    if total == 0 or iso == total:
        return "iso"
    if dmy == total and mdy == total:
        raise AmbiguousDatesError(column.name, example)
    return max(("iso", iso), ("dmy", dmy), ("mdy", mdy), key=lambda kv: kv[1])[0]


def _typed_select(spec: TableSpec, mapping: Mapping, formats: dict[str, str]) -> tuple[str, dict]:
    """SELECT over `staged` giving each canonical column typed, plus a list of problems per row."""
    params: dict = {}
    typed_cols, checks = [], []
    for column in spec.columns:
        name = column.name
        if name not in mapping:
            typed_cols.append(f"NULL::{_sql_type(column)} AS {name}")
            continue
        raw = _source(mapping[name], f"const_{name}", params)
        if name in formats:
            params[f"fmt_{name}"] = DATE_FORMATS[formats[name]]
            params[f"fmt_label_{name}"] = DATE_FORMAT_LABELS[formats[name]]
        expr = _typed_expr(column, raw)
        typed_cols.append(f"{expr} AS {name}")
        label = f"'{name}'"
        if column.required:
            checks.append(f"CASE WHEN {raw} IS NULL THEN {{'col': {label}, 'val': NULL, "
                          f"'msg': 'a value is required here but the cell is empty'}} END")
        if column.type != "text":
            checks.append(f"CASE WHEN {raw} IS NOT NULL AND {name} IS NULL THEN {{'col': {label}, 'val': {raw}, "
                          f"'msg': '\"' || {raw} || '\" ' || {_expected(column)}}} END")
        if column.low is not None:
            checks.append(
                f"CASE WHEN {name} NOT BETWEEN {column.low} AND {column.high} THEN {{'col': {label}, "
                f"'val': {raw}, 'msg': {raw} || ' is outside the allowed range {column.low:g} to "
                f"{column.high:g}'}} END"
            )
    checks.extend(_row_checks(spec))
    inner = ",\n  ".join(typed_cols)
    problems = ",\n    ".join(checks) if checks else ""
    sql = f"""
    SELECT {_row_key_expr(spec)} AS row_key, rec, {', '.join(spec.names)},
           list_filter([{problems}], lambda p: p IS NOT NULL) AS problems
    FROM (SELECT *, {inner} FROM staged)
    """
    return sql, params


def _sql_type(column: Column) -> str:
    return {"int": "INTEGER", "real": "DOUBLE", "timestamp": "TIMESTAMP", "date": "DATE",
            "bool": "BOOLEAN"}.get(column.type, "VARCHAR")


def _typed_expr(column: Column, raw: str) -> str:
    if column.type == "text":
        return raw
    if column.type == "int":
        return f"TRY_CAST({raw} AS INTEGER)"
    if column.type == "real":
        return f"as_number({raw})"
    if column.type in ("timestamp", "date"):
        cast = "" if column.type == "timestamp" else "::DATE"
        return f"try_strptime({raw}, $fmt_{column.name}){cast}"
    if column.type == "bool":
        return f"as_bool({raw})"
    return (f"(SELECT w.value FROM value_words w WHERE w.domain = '{column.type}' AND w.word = word({raw}))")


def _expected(column: Column) -> str:
    if column.type == "int":
        return "'is not a whole number'"
    if column.type == "real":
        return "'is not a number'"
    if column.type in ("timestamp", "date"):
        return "'is not a date in the format ' || $fmt_label_" + column.name
    if column.type == "bool":
        return "'is not yes/no (or true/false)'"
    allowed = sorted(set(VALUE_WORDS[column.type].values()))
    return f"'is not a known {column.name.replace('_', ' ')} word (expected one of: {', '.join(allowed)})'"


def _row_checks(spec: TableSpec) -> list[str]:
    if spec.kind != "feedback":
        return []
    checks = []
    for scale in ("srs", "ors"):
        items = [f"{scale}_{i}" for i in (("relationship", "goals", "approach", "overall") if scale == "srs"
                                          else ("individual", "interpersonal", "social", "overall"))]
        total = f"{scale}_total"
        item_sum = " + ".join(items)
        checks.append(
            f"CASE WHEN {total} IS NOT NULL AND {' AND '.join(i + ' IS NOT NULL' for i in items)} "
            f"AND abs({total} - ({item_sum})) > 0.5 THEN {{'col': '{total}', 'val': {total}::VARCHAR, "
            f"'msg': 'the total ' || {total} || ' does not equal the sum of the four items ' || ({item_sum})}} END"
        )
    checks.append(
        "CASE WHEN session_id IS NULL AND (client_id IS NULL OR therapist_id IS NULL OR rated_on IS NULL) "
        "THEN {'col': 'session_id', 'val': NULL, 'msg': 'each rating needs a session_id, or client_id, "
        "therapist_id and rated_on together'} END"
    )
    checks.append(
        "CASE WHEN coalesce(srs_total, srs_relationship, srs_goals, srs_approach, srs_overall, ors_total, "
        "ors_individual, ors_interpersonal, ors_social, ors_overall) IS NULL THEN {'col': NULL, 'val': NULL, "
        "'msg': 'the row has no SRS or ORS score'} END"
    )
    return checks


def _row_key_expr(spec: TableSpec) -> str:
    """The identity of an incoming row; a rating without a session id is keyed by who, whom and when."""
    if spec.kind == "feedback":
        return "coalesce(session_id, client_id || '|' || therapist_id || '|' || strftime(rated_on, '%Y-%m-%d'))"
    return _key_expr_for(spec.key)


def _reject_duplicates(cur, spec: TableSpec) -> None:
    """Rows sharing a key with different values are all rejected; exact repeats keep the first."""
    hashed = ", ".join(c.name for c in spec.columns)
    cur.execute(f"""
        CREATE OR REPLACE TEMP TABLE typed AS
        WITH h AS (SELECT *, hash({hashed}) AS row_hash, len(problems) = 0 AS valid FROM typed),
        k AS (
            SELECT *,
                   count(DISTINCT row_hash) FILTER (WHERE valid) OVER (PARTITION BY row_key) AS versions,
                   row_number() OVER (PARTITION BY row_key, row_hash, valid ORDER BY rec) AS copy,
                   string_agg((rec + 1)::VARCHAR, ', ' ORDER BY rec) FILTER (WHERE valid)
                       OVER (PARTITION BY row_key) AS lines
            FROM h
        )
        SELECT * EXCLUDE (versions, copy, lines, problems, valid),
               CASE WHEN versions > 1 AND valid
                    THEN list_append(problems, {{'col': '{spec.key[0] if spec.kind != 'feedback' else 'session_id'}',
                         'val': row_key, 'msg': 'the same id appears on lines ' || lines
                         || ' with different values'}})
                    ELSE problems END AS problems
        FROM k WHERE copy = 1 OR versions > 1 OR NOT valid
    """)


def _problems(cur, info: FileInfo) -> list[Problem]:
    rows = cur.execute(f"""
        SELECT rec, p.col, p.val, p.msg FROM (SELECT rec, unnest(problems) AS p FROM typed
                                             WHERE len(problems) > 0)
        ORDER BY rec LIMIT {MAX_PROBLEMS_LISTED}""").fetchall()
    lines = record_lines(info, {r[0] for r in rows})
    return [Problem(lines.get(rec, rec + 1), col, val, msg) for rec, col, val, msg in rows]


def _merge(cur, spec: TableSpec, imported_by: str, name: str, info: FileInfo, report) -> tuple[int, int, int]:
    table = spec.table
    key_cols = ("feedback_key",) if spec.kind == "feedback" else spec.key
    cur.execute(f"""
        CREATE OR REPLACE TEMP TABLE incoming AS
        SELECT i.*, CASE WHEN t.row_hash IS NULL THEN 'new'
                         WHEN t.row_hash = i.row_hash THEN 'unchanged' ELSE 'changed' END AS action
        FROM (SELECT * FROM typed WHERE len(problems) = 0) i
        LEFT JOIN (SELECT {_key_expr_for(key_cols)} AS row_key, row_hash FROM {table}) t USING (row_key)
    """)
    counts = dict(cur.execute("SELECT action, count(*) FROM incoming GROUP BY action").fetchall())
    inserted, updated, unchanged = counts.get("new", 0), counts.get("changed", 0), counts.get("unchanged", 0)
    if not (inserted or updated):
        return inserted, updated, unchanged
    batch_id = cur.execute("SELECT nextval('import_batch_seq')").fetchall()[0][0]
    if updated:
        cur.execute(f"""
            INSERT INTO {table}_history
            SELECT t.*, $batch FROM {table} t
            WHERE {_key_expr_for(key_cols, 't')} IN (SELECT row_key FROM incoming WHERE action = 'changed')
        """, {"batch": batch_id})
        cur.execute(f"""DELETE FROM {table}
            WHERE {_key_expr_for(key_cols)} IN (SELECT row_key FROM incoming WHERE action = 'changed')""")
    columns = [c.name for c in spec.columns]
    target_cols = (["feedback_key"] if spec.kind == "feedback" else []) + columns
    select_cols = (["row_key"] if spec.kind == "feedback" else []) + columns
    cur.execute(f"""
        INSERT INTO {table} ({', '.join(target_cols)}, batch_id, source_line, row_hash)
        SELECT {', '.join(select_cols)}, $batch, rec + 1, row_hash FROM incoming WHERE action <> 'unchanged'
    """, {"batch": batch_id})
    db.execute(cur, "insert_import_batch", {
        "batch_id": batch_id, "kind": spec.kind, "file_name": name, "file_hash": info.sha256,
        "imported_by": imported_by, "rows_read": report.rows_read, "inserted": inserted, "updated": updated,
        "unchanged": unchanged, "rejected": report.rejected, "notes": " ".join(report.notes) or None,
    })
    db.bump_data_version(cur)
    report.batch_id = batch_id
    return inserted, updated, unchanged


def _key_expr_for(key_cols: tuple[str, ...], alias: str | None = None) -> str:
    prefix = f"{alias}." if alias else ""
    return " || '|' || ".join(f"coalesce({prefix}{k}::VARCHAR, '')" for k in key_cols)
