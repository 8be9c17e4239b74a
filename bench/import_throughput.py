"""Importer throughput: `attune import` of a large sessions export, against DuckDB's bare read_csv into a
table, measured in the same run (and, optionally, another checkout's importer for a before/after).

    uv run attune demo --out /tmp/imp1m --sessions 1000000
    uv run python bench/import_throughput.py --dir /tmp/imp1m [--rounds 3] [--baseline /work/main]

Each measurement runs in a fresh process on a fresh database (the roster imported first, untimed) and
records wall time and CPU time (user + system of the child). Rounds are interleaved so that load from
other processes on the machine hits every variant alike; medians are reported.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RAW = """
import duckdb, sys
con = duckdb.connect(sys.argv[1], config={"threads": "2", "memory_limit": "1GB"})
con.execute("SET enable_progress_bar = false")
con.execute("CREATE TABLE sessions AS SELECT * FROM read_csv($p)", {"p": sys.argv[2]})
print(con.execute("SELECT count(*) FROM sessions").fetchall()[0][0])
"""


def timed(cmd: list[str], env: dict | None = None, cwd: Path | None = None) -> tuple[float, float, str]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(cmd, env=env, cwd=cwd, capture_output=True, text=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode not in (0, 1):
        raise RuntimeError(f"{cmd} failed ({done.returncode}): {done.stderr[-2000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, done.stdout


def importer(code: Path, folder: Path, work: Path, label: str) -> dict:
    env = dict(os.environ, PYTHONPATH=str(code))
    db_file = work / f"{label}.duckdb"
    for suffix in ("", ".wal"):
        Path(f"{db_file}{suffix}").unlink(missing_ok=True)
    cli = [sys.executable, "-c", "import sys; from attune.cli import main; sys.exit(main(sys.argv[1:]))",
           "import", "--db", str(db_file)]
    timed([*cli, str(folder / "therapists.csv")], env, code)
    wall, cpu, _ = timed([*cli, str(folder / "sessions.csv"), "--json"], env, code)
    again, again_cpu, out = timed([*cli, str(folder / "sessions.csv"), "--json"], env, code)
    rows = json.loads(out)["files"][0]["rows_read"]
    return {"variant": label, "rows": rows, "wall_s": wall, "cpu_s": cpu, "reimport_wall_s": again,
            "reimport_cpu_s": again_cpu}


def raw(folder: Path, work: Path) -> dict:
    db_file = work / "raw.duckdb"
    db_file.unlink(missing_ok=True)
    wall, cpu, out = timed([sys.executable, "-c", RAW, str(db_file), str(folder / "sessions.csv")])
    return {"variant": "duckdb read_csv", "rows": int(out.split()[-1]), "wall_s": wall, "cpu_s": cpu}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dir", type=Path, required=True, help="a demo clinic's exports (attune demo --out)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--baseline", type=Path, help="another checkout of attune, e.g. /work/main")
    args = parser.parse_args()
    results: list[dict] = []
    with tempfile.TemporaryDirectory(prefix="attune-bench-") as tmp:
        work = Path(tmp)
        for _ in range(args.rounds):
            results.append(raw(args.dir, work))
            results.append(importer(ROOT, args.dir, work, "attune import"))
            if args.baseline:
                results.append(importer(args.baseline, args.dir, work, f"attune import ({args.baseline})"))
            print(json.dumps(results[-1 if not args.baseline else -2]), file=sys.stderr)
    print(f"{'variant':<40} {'rows':>10} {'wall s':>8} {'rows/s':>10} {'cpu s':>8} {'re-import s':>12}")
    for variant in dict.fromkeys(r["variant"] for r in results):
        runs = [r for r in results if r["variant"] == variant]
        wall = statistics.median(r["wall_s"] for r in runs)
        cpu = statistics.median(r["cpu_s"] for r in runs)
        again = statistics.median(r["reimport_wall_s"] for r in runs) if "reimport_wall_s" in runs[0] else None
        rows = runs[0]["rows"]
        print(f"{variant:<40} {rows:>10,} {wall:>8.1f} {rows / wall:>10,.0f} {cpu:>8.1f} "
              f"{'' if again is None else f'{again:.1f}':>12}")
    print(json.dumps({"rounds": args.rounds, "load_average": os.getloadavg(), "results": results}))


if __name__ == "__main__":
    main()
