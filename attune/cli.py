"""The `attune` command: demo data, imports and undo, the attention list, the meeting report, users."""

from __future__ import annotations

import argparse
import getpass
import json
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

from attune import access, attention, backup, batches, db, demo, ingest, integrity, profiles, settings
from attune.formatting import noun_for
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

    p_flags = sub.add_parser("flags", help="the relationships needing attention, with reasons")
    _db_arg(p_flags)
    p_flags.add_argument("--as-of", type=date.fromisoformat, default=None,
                         help="the day to describe (YYYY-MM-DD; default: the newest session)")
    p_flags.add_argument("--json", action="store_true", help="print JSON")
    p_flags.add_argument("--include-discussed", action="store_true",
                         help="also list relationships already marked discussed")
    p_flags.set_defaults(func=_flags)

    p_report = sub.add_parser("report", help="write the weekly meeting report (self-contained HTML)")
    p_report.add_argument("--as-of", type=date.fromisoformat, default=None,
                          help="last day of the period (YYYY-MM-DD; default: the newest session)")
    p_report.add_argument("--team", action="append", default=[], help="a supervisor's team (repeatable; default: all)")
    p_report.add_argument("--weeks", type=int, default=4, help="length of the period in weeks (default 4)")
    p_report.add_argument("--out", type=Path, required=True, help="the HTML file to write")
    p_report.add_argument("--pdf", type=Path, default=None, help="also print it to this PDF (needs chromium)")
    p_report.add_argument("--paper", choices=["a4", "letter"], default="a4", help="the PDF's page size (default a4)")
    _db_arg(p_report)
    p_report.set_defaults(func=_report)

    p_users = sub.add_parser("users", help="manage who may sign in and what they see")
    p_users.add_argument("action", choices=["list", "add", "remove", "load"])
    p_users.add_argument("target", nargs="?", help="email (add/remove) or a users TOML file (load)")
    p_users.add_argument("--role", choices=access.ROLES)
    p_users.add_argument("--name")
    p_users.add_argument("--teams", default="", help="comma-separated teams (supervisors)")
    p_users.add_argument("--therapist-id")
    _db_arg(p_users)
    p_users.set_defaults(func=_users)

    p_backup = sub.add_parser("backup", help="write a consistent, verified copy of the database")
    _db_arg(p_backup)
    p_backup.add_argument("--out", type=Path, required=True, help="the backup file to write (replaced atomically)")
    p_backup.set_defaults(func=_backup)

    p_check = sub.add_parser("check", help="read every table and check the database's invariants")
    _db_arg(p_check)
    p_check.set_defaults(func=_check)

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
                                          sheet=args.sheet, profile=profile, rejects_dir=args.rejects,
                                          update_attention=False))
    attention_seconds = None
    if any(report.status == "imported" for report in reports):
        attention_seconds = _update_attention_list(con, quiet=args.json)
    con.close()
    code = exit_code(reports)
    if args.json:
        print(json.dumps({"exit_code": code, "files": [r.to_dict() for r in reports],
                          "inserted": _totals(reports), "attention_list_seconds": attention_seconds},
                         indent=2, default=str))
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
        result = batches.undo_batch(con, args.batch_id, undone_by=_who(), update_attention=False)
    except batches.UndoError as exc:
        print(str(exc), file=sys.stderr)
        return 1
    print(f"Undid batch {result['batch_id']}: removed {result['removed']:,} rows, restored {result['restored']:,}.")
    _update_attention_list(con, quiet=False)
    return 0


def _update_attention_list(con, quiet: bool) -> float | None:
    """Store the attention list for the new data (attune/attention_facts.py), saying so: it takes seconds at scale.
    Returns how long storing it took (None when the stored list was already current).

    Once per command, after all its files (each file's own transaction leaves it out): no dashboard can be
    reading the database meanwhile, as a running dashboard keeps the command line out."""
    started = time.perf_counter()
    if not attention.refresh_stored(con):
        return None
    took = time.perf_counter() - started
    if not quiet:
        print(f"Updated the attention list in {took:.1f} s.", file=sys.stderr)
    return took


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


def _report(args) -> int:
    from attune import report

    con = db.connect(args.db)
    extent = db.run_query(con, "data_extent").row(0, named=True)
    as_of = args.as_of or (extent["last_session"].date() if extent["last_session"] else date.today())
    teams = sorted({t for t in db.run_query(con, "filter_options", {"visible": None})["supervisor"].to_list() if t})
    lookup = {t.casefold(): t for t in teams}
    unknown = [t for t in args.team if t.casefold() not in lookup]
    if unknown:
        print(f"Unknown {noun_for(len(unknown), 'team')}: {', '.join(unknown)}. "
              f"Teams in the data: {', '.join(teams) or 'none'}.", file=sys.stderr)
        return 2
    if args.weeks < 1:
        print("--weeks must be at least 1.", file=sys.stderr)
        return 2
    filters = report.period_filters(as_of, args.weeks, tuple(lookup[t.casefold()] for t in args.team))
    data = report.gather(con, filters)
    text = report.render(data)
    con.close()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text, encoding="utf-8")
    print(f"Wrote the meeting report for {report.scope_text(filters)}, {filters.start} to {filters.end}, "
          f"to {args.out} ({len(text.encode()) / 1e6:.1f} MB).")
    if args.pdf:
        try:
            report.write_pdf(report.render(data, paper=args.paper), args.pdf)
        except (RuntimeError, OSError, subprocess.TimeoutExpired) as exc:
            print(f"No PDF: {exc}", file=sys.stderr)
            return 1
        print(f"Printed it to {args.pdf}.")
    return 0


def _users(args) -> int:
    con = db.connect(args.db)
    try:
        if args.action == "list":
            print(access.users(con))
        elif args.action == "load":
            print(f"Loaded {access.load_users_file(con, Path(args.target))} users from {args.target}.")
        elif args.action == "add":
            access.save_user(con, args.target, args.role, name=args.name,
                             teams=tuple(t.strip() for t in args.teams.split(",") if t.strip()),
                             therapist_id=args.therapist_id)
            access.record(con, None, "users", f"set {args.target} as {args.role}")
            print(f"{args.target} is now {args.role}.")
        else:
            access.remove_user(con, args.target)
            access.record(con, None, "users", f"removed {args.target}")
            print(f"Removed {args.target}.")
    except (access.AccessError, KeyError, OSError) as exc:
        print(str(exc), file=sys.stderr)
        return 1
    return 0


def _flags(args) -> int:
    con = db.connect(args.db)
    as_of = args.as_of or attention.latest_day(con)
    if as_of is None:
        print("No sessions loaded: import the clinic's exports first (attune import FILE...).", file=sys.stderr)
        return 1
    values = settings.load(con)
    listed = attention.weekly_list(con, as_of, values, include_discussed=args.include_discussed)
    active = attention.relationships(con, as_of, values).height
    if args.json:
        records = attention.to_records(listed, attention.flags(con, as_of, values))
        from attune import ruptures  # here, not above: it brings Plotly (0.1 s) into every other command's start-up

        broken = ruptures.recent_records(con, as_of, values)
        for record in records:
            record["ruptures"] = broken.get((record["client_id"], record["therapist_id"]), [])
        print(json.dumps({"as_of": as_of.isoformat(), "active_relationships": active, "thresholds": values,
                          "relationships": records}, indent=2, default=str))
    else:
        print(attention.as_text(listed, as_of, active))
    con.close()
    return 0


def _backup(args) -> int:
    con = db.connect(args.db)
    try:
        result = backup.backup(con, args.out)
    except backup.BackupError as exc:
        print(str(exc), file=sys.stderr)
        return 1
    finally:
        con.close()
    print(f"Backed up {result.tables} tables ({result.rows:,} rows, data version {result.data_version}) "
          f"to {result.path}.")
    return 0


def _check(args) -> int:
    con = db.connect(args.db)
    report = integrity.check(con.cursor())
    con.close()
    print(f"Read {len(report.checksums)} tables, {report.rows:,} rows.")
    for problem in report.problems:
        print(f"  problem: {problem}")
    print("The database is healthy." if report.ok else "The database has problems (listed above).")
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
