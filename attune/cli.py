"""The `attune` command: demo data, imports, undo."""

from __future__ import annotations

import argparse
import getpass
import json
import sys
import time
from datetime import date
from pathlib import Path

from attune import batches, db, demo, ingest, profiles
from attune.reader import peek_headers

KIND_ORDER = ["therapists", "sessions", "feedback", "episodes", "switch_requests"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="attune", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    p_demo = sub.add_parser("demo", help="write a synthetic clinic's CSV exports")
    p_demo.add_argument("--out", type=Path, required=True)
    p_demo.add_argument("--seed", type=int, default=1)
    p_demo.add_argument("--sessions", type=int, default=demo.DEFAULT_SESSIONS)
    p_demo.add_argument("--months", type=int, default=18)
    p_demo.add_argument("--therapists", type=int, default=None)
    p_demo.add_argument("--end", type=date.fromisoformat, default=demo.DEFAULT_END, help="last day (YYYY-MM-DD)")
    p_demo.set_defaults(func=_demo)

    p_import = sub.add_parser("import", help="import CSV or .xlsx exports into the database")
    p_import.add_argument("files", nargs="+", type=Path)
    _db_arg(p_import)
    p_import.add_argument("--json", action="store_true", help="print a JSON summary")
    p_import.add_argument("--kind", choices=KIND_ORDER, help="the kind of file (default: detected from the header)")
    p_import.add_argument("--mapping", type=Path, metavar="PROFILE.toml",
                          help="a saved column mapping (made on the Data page, or written by hand)")
    p_import.add_argument("--date-format", choices=["auto", "iso", "dmy", "mdy"], default="auto")
    p_import.add_argument("--sheet", help="the sheet of an .xlsx workbook (default: the first)")
    p_import.add_argument("--keep-valid", action="store_true",
                          help="import the valid rows and set rejected rows aside (default: reject the whole file)")
    p_import.add_argument("--rejects", type=Path, metavar="DIR",
                          help="write the rows with problems to DIR/NAME-rejected.csv, with a reason column")
    p_import.set_defaults(func=_import)

    p_undo = sub.add_parser("undo", help="undo an import batch")
    p_undo.add_argument("batch_id", type=int)
    _db_arg(p_undo)
    p_undo.set_defaults(func=_undo)

    p_batches = sub.add_parser("batches", help="list import batches")
    _db_arg(p_batches)
    p_batches.set_defaults(func=_batches)

    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except db.DatabaseBusyError as exc:
        print(str(exc), file=sys.stderr)
        return 2


def _db_arg(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--db", type=Path, default=None,
                        help="database file (default: $ATTUNE_DB or data/attune.duckdb)")


def _demo(args) -> int:
    started = time.perf_counter()
    clinic = demo.generate(seed=args.seed, sessions=args.sessions, end=args.end, months=args.months,
                           therapists=args.therapists)
    paths = clinic.write(args.out)
    took = time.perf_counter() - started
    print(f"Wrote a demo clinic to {args.out} in {took:.1f}s: "
          + ", ".join(f"{getattr(clinic, k).height:,} {k}" for k in paths))
    return 0


def _ordered(files: list[Path]) -> list[Path]:
    """Roster first, then sessions, then the rest, whatever order the shell listed them in."""
    def rank(path: Path) -> int:
        headers = peek_headers(path)
        spec = ingest.detect_kind(headers) if headers else None
        return KIND_ORDER.index(spec.kind) if spec else len(KIND_ORDER)

    return sorted(files, key=rank)


def _import(args) -> int:
    profile = None
    if args.mapping is not None:
        try:
            profile = profiles.load(args.mapping)
        except profiles.ProfileError as exc:
            print(str(exc), file=sys.stderr)
            return 2
    con = db.connect(args.db)
    reports, paths = [], _ordered(args.files)
    for path in paths:
        if not path.is_file():
            reports.append(ingest.ImportReport(path.name, args.kind, "unreadable", problems=[
                ingest.Problem(None, None, None, f"{path} does not exist or is not a file.")]))
            continue
        progress = None if args.json else _print_progress
        reports.append(ingest.import_file(con, path, kind=args.kind, date_format=args.date_format,
                                          keep_valid=args.keep_valid, imported_by=_who(), progress=progress,
                                          sheet=args.sheet, profile=profile, rejects_dir=args.rejects))
    con.close()
    code = exit_code(reports)
    if args.json:
        print(json.dumps({"exit_code": code, "files": [r.to_dict() for r in reports],
                          "inserted": _totals(reports)}, indent=2, default=str))
    else:
        for path, report in zip(paths, reports, strict=True):
            print(report.summary)
            for note in report.notes:
                print(f"  note: {note}")
            for problem in report.problems[:20]:
                print(f"  {problem.describe()}")
            if report.problem_count > 20:
                print(f"  … and {report.problem_count - 20:,} more problems")
            if report.rejects_file:
                print(f"  rejected rows written to {report.rejects_file}")
            if report.status == "unreadable" and report.kind is None and not profile:
                _hint_profile(path)
    return code


def exit_code(reports: list[ingest.ImportReport]) -> int:
    """2 when a file could not be read at all, 1 when rows were rejected, 0 when all was imported."""
    if any(r.status == "unreadable" for r in reports):
        return 2
    if any(r.rejected or r.status == "rejected" for r in reports):
        return 1
    return 0


def _hint_profile(path: Path) -> None:
    headers = peek_headers(path)
    match = profiles.find_matching(headers) if headers else None
    if match is not None and match.path is not None:
        print(f"  hint: the saved mapping '{match.name}' fits this file: --mapping {match.path}")


def _totals(reports: list[ingest.ImportReport]) -> dict[str, int]:
    totals: dict[str, int] = {}
    for report in reports:
        if report.kind:
            totals[report.kind] = totals.get(report.kind, 0) + report.inserted
    return totals


def _print_progress(fraction: float, message: str) -> None:
    if fraction < 1.0:
        print(f"  [{fraction:4.0%}] {message}", file=sys.stderr)


def _undo(args) -> int:
    con = db.connect(args.db)
    try:
        result = batches.undo_batch(con, args.batch_id, undone_by=_who())
    except batches.UndoError as exc:
        print(str(exc), file=sys.stderr)
        return 1
    print(f"Undid batch {result['batch_id']}: removed {result['removed']:,} rows, restored {result['restored']:,}.")
    return 0


def _batches(args) -> int:
    con = db.connect(args.db)
    print(batches.list_batches(con))
    return 0


def _who() -> str:
    """Who ran the command, for the import history."""
    try:
        return f"{getpass.getuser()} (command line)"
    except (KeyError, OSError):
        return "command line"
