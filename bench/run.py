"""`make bench`: how fast Attune is from a clinic to a national network, next to the limit and the alternative.

    uv run python -m bench.run --sizes 100000,1000000 [--runs 5] [--out bench/results/latest.json]

For each size, in one run on the same files: generate the demo clinic; import it with `attune import`
(next to raw DuckDB read_csv and pandas read_csv); run every page registered in app.py cold and warm
under default filters and one therapist (AppTest); compute the per-therapist weekly aggregates in the app
and in pandas; serve the app for real (`streamlit run`) to a headless Chromium for cold start, peak memory
and bytes sent. Writes JSON and prints a table with the ratios and the issue's targets.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb
import polars as pl
import psutil

from attune import demo
from bench import baselines
from bench.pages import select_pages
from bench.served import measure_served

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUT = ROOT / "bench" / "results" / "latest.json"
SECTIONS = ("generate", "import", "pages", "aggregates", "served")
GB = 1024**3


def months_for(sessions: int) -> int:
    """A clinic's five years of history (100k sessions); networks get the demo's usual 18 months."""
    return 60 if sessions <= 100_000 else 18


def _environment() -> dict[str, str]:
    """Subprocesses may cache bytecode, as a deployed app does (this sandbox sets PYTHONDONTWRITEBYTECODE,
    which would make every process start compile streamlit, polars and plotly from source)."""
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def _child_json(args: list[str], env: dict[str, str]) -> Any:
    """Run `python -m ARGS`, its progress lines passed through to stderr, and parse the JSON it prints."""
    proc = subprocess.Popen([sys.executable, "-m", *args], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    tail: list[str] = []
    assert proc.stderr is not None and proc.stdout is not None
    out = []
    reader = threading.Thread(target=lambda: out.append(proc.stdout.read()), daemon=True)
    reader.start()
    for line in proc.stderr:
        tail = (tail + [line])[-50:]
        if line.startswith("  pages/"):
            print(line, end="", file=sys.stderr, flush=True)
    proc.wait()
    reader.join()
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(args[:2])} failed ({proc.returncode}): {''.join(tail)[-3000:]}")
    return json.loads(out[0])


def measure_size(sessions: int, runs: int, workdir: Path, skip_served: bool,
                 save: Callable[[dict[str, Any]], None] = lambda _r: None,
                 only_pages: list[str] | None = None) -> dict[str, Any]:
    """Every measurement at one size; `save` is called with the partial result after the slow phases."""
    exports, database = workdir / f"exports_{sessions}", workdir / f"attune_{sessions}.duckdb"
    result: dict[str, Any] = {"sessions_requested": sessions, "months": months_for(sessions)}
    log = _logger(sessions)

    log("generating the demo clinic")
    started = time.perf_counter()
    clinic = demo.generate(sessions=sessions, months=months_for(sessions))
    generated = time.perf_counter()
    clinic.write(exports)
    written = time.perf_counter()
    schemas = {k: getattr(clinic, k).schema for k in ("sessions", "feedback")}
    therapist = clinic.therapists["therapist_id"][0]
    result["generate"] = {
        "generate_s": generated - started, "write_s": written - generated,
        "rows": {k: getattr(clinic, k).height for k in ("therapists", "sessions", "feedback", "episodes",
                                                       "switch_requests")},
        "file_bytes": {p.name: p.stat().st_size for p in sorted(exports.glob("*.csv"))},
    }
    del clinic
    gc.collect()

    env = _environment()
    log("importing (attune import, raw DuckDB, pandas)")
    result["import"] = baselines.measure_import(exports, database, schemas, workdir, env)
    result["database_bytes"] = database.stat().st_size
    save(result)

    log("aggregates: Attune's query vs a pandas notebook")
    result["aggregates"] = baselines.compare_aggregates(exports, database, runs)
    gc.collect()

    log(f"pages under AppTest ({runs} cold and {runs} warm runs each, default and {therapist})")
    result["one_therapist"] = therapist
    result["pages"] = _child_json(["bench.pages", "--db", str(database), "--therapist", therapist,
                                   "--runs", str(runs), "--pages", ",".join(only_pages or [])], env)
    save(result)

    if skip_served:
        result["served"] = {"skipped": "--skip-served"}
    else:
        log("serving the app to headless Chromium (cold start, memory, bytes)")
        try:
            result["served"] = measure_served(database, select_pages(only_pages), therapist, env)
        except Exception as exc:  # keep every other figure of this size
            result["served"] = {"skipped": f"failed: {type(exc).__name__}: {exc}"[:500]}
    return result


def _logger(size: int):
    began = time.perf_counter()

    def log(message: str) -> None:
        print(f"[{size:>10,} | {time.perf_counter() - began:7.1f}s] {message}", file=sys.stderr, flush=True)

    return log


# (name, the size it is judged at, where the wall-time value is, where the CPU-time value is (None: no
# such reading), comparison, threshold, unit). CPU time (all threads) separates the code's speed from a
# shared machine's contention; the verdict is on wall time, the CPU verdict is shown next to it.
TARGETS = [
    ("import sessions rows/s (net of start-up)", 1_000_000, ("import", "files", "sessions", "attune_rows_per_s"),
     ("import", "files", "sessions", "attune_rows_per_cpu_s"), ">=", 1_000_000, "rows/s"),
    ("import sessions speed / raw DuckDB", 1_000_000, ("import", "files", "sessions", "ratio_to_duckdb"),
     ("import", "files", "sessions", "ratio_to_duckdb_cpu"), ">=", 0.5, "x"),
    ("import feedback speed / raw DuckDB", 1_000_000, ("import", "files", "feedback", "ratio_to_duckdb"),
     ("import", "files", "feedback", "ratio_to_duckdb_cpu"), ">=", 0.5, "x"),
    ("slowest page, cold median", 1_000_000, ("pages", "cold", "worst_median_ms"),
     ("pages", "cold", "worst_cpu_median_ms"), "<", 500, "ms"),
    ("slowest page, cold median", 10_000_000, ("pages", "cold", "worst_median_ms"),
     ("pages", "cold", "worst_cpu_median_ms"), "<", 2000, "ms"),
    ("slowest page, warm median", 1_000_000, ("pages", "warm", "worst_median_ms"),
     ("pages", "warm", "worst_cpu_median_ms"), "<", 100, "ms"),
    ("Attune vs pandas notebook (same aggregates)", 1_000_000, ("aggregates", "speedup_vs_pandas"),
     ("aggregates", "speedup_vs_pandas_cpu"), ">=", 10, "x"),
    ("peak RSS of the served app", 10_000_000, ("served", "peak_rss_bytes"), None, "<", 1.5 * GB, "bytes"),
    ("cold start to first page", 1_000_000, ("served", "cold_start", "to_first_page_s"),
     ("served", "cold_start", "server_cpu_s"), "<", 5, "s"),
    ("most points in one chart", 1_000_000, ("pages", "payload", "max_points"), None, "<=", 5000, "points"),
]


def page_summary(pages: dict[str, Any]) -> dict[str, Any]:
    """The worst page for each measure, across both filter settings."""
    summary: dict[str, Any] = {}
    for phase in ("cold", "warm"):
        runs = [(f[phase], path, label) for path, p in pages.items() for label, f in p["filters"].items()
                if phase in f]
        if not runs:
            summary[phase] = {}
            continue
        worst, path, label = max(runs, key=lambda r: r[0]["median_ms"])
        summary[phase] = {"worst_median_ms": worst["median_ms"], "worst_max_ms": worst["max_ms"], "page": path,
                          "filters": label, "worst_cpu_median_ms": max(r[0]["cpu_median_ms"] for r in runs)}
    measured = [f for p in pages.values() for f in p["filters"].values() if "payload" in f]
    summary["payload"] = {
        "max_points": max((f["payload"]["max_points_per_chart"] for f in measured), default=0),
        "max_chart_bytes": max((f["payload"]["chart_bytes"] for f in measured), default=0)}
    summary["errors"] = sorted({e for p in pages.values() for f in p["filters"].values()
                                for e in f.get("errors", [f.get("error")]) if e})
    return summary


def _lookup(size_result: dict[str, Any], path: tuple[str, ...]) -> Any:
    node: Any = size_result
    if path[0] == "pages":
        node = page_summary(size_result["pages"])
        path = path[1:]
    for key in path:
        if not isinstance(node, dict) or key not in node:
            return None
        node = node[key]
    return node


def _verdict(value: Any, op: str, threshold: float) -> str:
    if value is None:
        return "n/a"
    return "pass" if {"<": value < threshold, "<=": value <= threshold, ">=": value >= threshold}[op] else "MISS"


def judge(results: dict[str, Any]) -> list[dict[str, Any]]:
    verdicts = []
    for name, size, wall_path, cpu_path, op, threshold, unit in TARGETS:
        found = results["sizes"].get(str(size))
        value = _lookup(found, wall_path) if found else None
        cpu_value = _lookup(found, cpu_path) if found and cpu_path else None
        verdicts.append({"target": name, "sessions": size, "value": value, "cpu_value": cpu_value, "op": op,
                         "threshold": threshold, "unit": unit,
                         "verdict": _verdict(value, op, threshold) if found else "not measured",
                         "cpu_verdict": _verdict(cpu_value, op, threshold) if found and cpu_path else "-"})
    return verdicts


def _fmt(value: Any, unit: str) -> str:
    if value is None:
        return "-"
    if unit == "bytes":
        return f"{value / 1024**2:,.0f} MB"
    if unit == "rows/s":
        return f"{value / 1e6:,.2f}M/s"
    if unit == "x":
        return f"{value:,.2f}x"
    if unit == "ms":
        return f"{value:,.0f} ms"
    if unit == "s":
        return f"{value:,.1f} s"
    return f"{value:,}"


def table(results: dict[str, Any]) -> str:
    """The report: per size, import, pages, aggregates and the served app; then the targets."""
    lines = []
    for size, r in results["sizes"].items():
        g, imp, agg, served = r["generate"], r["import"], r["aggregates"], r.get("served", {})
        lines.append(f"\n== {int(size):,} sessions requested: {g['rows']['sessions']:,} sessions, "
                     f"{g['rows']['feedback']:,} feedback, {g['rows']['therapists']:,} therapists, {r['months']} "
                     f"months (generated in {g['generate_s']:.1f} s, written in {g['write_s']:.1f} s); "
                     f"database {r['database_bytes'] / 1024**2:,.0f} MB")
        run = r.get("run", {})
        if run:
            lines.append(f"measured {run['started']} at {run['commit']}, {run['runs']} runs per page, in "
                         f"{run['took_s'] / 60:.1f} min; load average {run['load_before'][0]:.1f} before, "
                         f"{run['load_after'][0]:.1f} after")
        lines.append("import: rows per second (wall, net of start-up | per CPU-second), ratio Attune / other")
        lines.append(f"  {'file':<10}{'rows':>11}{'attune':>16}{'raw duckdb':>16}{'pandas':>16}"
                     f"{'/duckdb':>13}{'/pandas':>8}{'peak RSS':>10}")
        for kind, f in imp["files"].items():
            d, pd_ = f["duckdb"], f["pandas"]
            rates = (_rate(f["attune_rows_per_s"], f["attune_rows_per_cpu_s"])
                     + _rate(d["rows_per_s"], d["rows_per_cpu_s"]) + _rate(pd_["rows_per_s"], pd_["rows_per_cpu_s"]))
            lines.append(f"  {kind:<10}{f['rows']:>11,}{rates}"
                         f"{f['ratio_to_duckdb']:>6.2f}|{f['ratio_to_duckdb_cpu']:<5.2f}{f['ratio_to_pandas']:>8.2f}"
                         f"{f['attune_peak_rss_bytes'] / 1024**2:>7,.0f} MB")
        lines.append(f"  (attune import wall time incl. {imp['cli_startup_s']:.1f} s process start-up: sessions "
                     f"{imp['files']['sessions']['attune_wall_s']:.1f} s, feedback "
                     f"{imp['files']['feedback']['attune_wall_s']:.1f} s)")
        for kind, f in imp["files"].items():
            if "attune_steps_s" in f:  # measured before 2026-11-27 without them
                steps = ", ".join(f"{step.replace('_', ' ')} {took:.2f}" for step, took in f["attune_steps_s"].items())
                lines.append(f"  {kind} import's steps (s): {steps}")
        lines.append("pages: one script run in ms, median (cpu) and max; change = another therapist picked with "
                     "warm caches; chart JSON sent; served app's peak RSS")
        lines.append(f"  {'page':<22}{'filter':<14}{'cold med (cpu)':>16}{'max':>7}{'warm med (cpu)':>16}{'max':>7}"
                     f"{'change (cpu)':>14}{'chart KB':>9}{'points':>8}{'ws KB':>7}{'RSS MB':>8}")
        for path, p in r["pages"].items():
            for label, f in p["filters"].items():
                s = served.get("pages", {}).get(path, {}).get("filters", {}).get(label, {})
                rss = f"{s['peak_rss_bytes'] / 1024**2:,.0f}" if s else "-"
                ws = f"{s['websocket_bytes'] / 1024:,.0f}" if s and "error" not in s else ("timeout" if s else "-")
                if "error" in f:
                    lines.append(f"  {p['title'][:21]:<22}{label:<14}FAILED: {f['error'][:80]}")
                    continue
                cold, warm, pay, chg = f["cold"], f["warm"], f["payload"], f.get("filter_change")
                change = f"{chg['median_ms']:>7,.0f} ({chg['cpu_median_ms']:>4,.0f})" if chg else f"{'-':>14}"
                lines.append(f"  {p['title'][:21]:<22}{label:<14}"
                             f"{cold['median_ms']:>9,.0f} ({cold['cpu_median_ms']:>4,.0f}){cold['max_ms']:>7,.0f}"
                             f"{warm['median_ms']:>9,.0f} ({warm['cpu_median_ms']:>4,.0f}){warm['max_ms']:>7,.0f}"
                             f"{change}{pay['chart_bytes'] / 1024:>9.1f}{pay['max_points_per_chart']:>8,}"
                             f"{ws:>7}{rss:>8}"
                             + (f"  ERRORS: {f['errors']}" if f["errors"] else ""))
        lines.append(f"aggregates per therapist and week ({agg['groups']:,} groups; same numbers: "
                     f"{agg['results_agree']}): Attune {agg['attune']['median_s'] * 1000:,.0f} ms; pandas "
                     f"{agg['pandas']['load_s']:.2f} s load + {agg['pandas']['aggregate_s']:.2f} s aggregate -> "
                     f"Attune {agg['speedup_vs_pandas']:,.1f}x faster (CPU {agg['speedup_vs_pandas_cpu']:,.1f}x; "
                     f"{agg['speedup_vs_pandas_in_memory']:,.1f}x against pandas' in-memory step alone)")
        if "cold_start" in served:
            cs = served["cold_start"]
            lines.append(f"served: cold start {cs['to_first_page_s']:.1f} s to the first page (server CPU "
                         f"{cs['server_cpu_s']:.1f} s; healthy after {cs['to_healthy_s']:.1f} s; very first start, "
                         f"writing bytecode caches, {served['first_start_s']:.1f} s); peak RSS "
                         f"{served['peak_rss_bytes'] / 1024**2:,.0f} MB with DuckDB threads "
                         f"{served['duckdb_threads']}, memory limit {served['duckdb_memory_limit']}")
        else:
            lines.append(f"served: skipped ({served.get('skipped')})")
    lines.append("\nTargets (issue 10): verdict on wall time, and on CPU time (the code without the machine's "
                 "contention)")
    for v in results["targets"]:
        cpu_value = _fmt(v["cpu_value"], v["unit"]) if v["cpu_value"] is not None else "-"
        lines.append(f"  {v['verdict']:<13}{v['target']:<45}{v['sessions']:>11,}  {_fmt(v['value'], v['unit']):>11}"
                     f"  cpu {cpu_value:>11} {v['cpu_verdict']:<5} (target {v['op']} "
                     f"{_fmt(v['threshold'], v['unit'])})")
    meta = results["meta"]
    lines.append(f"\nMachine: {meta['cpus']} CPUs, {meta['memory_bytes'] / GB:.0f} GB, shared; load average "
                 f"{meta['load_before'][0]:.1f} before, {meta['load_after'][0]:.1f} after; took {meta['took_s']:.0f} s")
    return "\n".join(lines)


def _rate(wall: float, cpu: float) -> str:
    return f"{wall / 1e6:>8.2f}M|{cpu / 1e6:<5.2f}M"


def _git_commit() -> str | None:
    try:
        return subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True,
                              check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="100000,1000000", help="comma-separated session counts")
    parser.add_argument("--runs", type=int, default=5, help="cold and warm runs per page and filter")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--workdir", type=Path, default=None, help="keep generated files here (default: a "
                        "temporary directory, removed afterwards)")
    parser.add_argument("--skip-served", action="store_true", help="no real server/browser (no memory figures)")
    parser.add_argument("--pages", default="", help="comma-separated page paths to measure (default: every "
                        "page; the test suite measures two)")
    parser.add_argument("--keep-other-sizes", action="store_true",
                        help="keep the results of sizes not measured now from the existing --out file")
    args = parser.parse_args(argv)
    sizes = [int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip()]

    args.out.parent.mkdir(parents=True, exist_ok=True)
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="attune-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    began = time.perf_counter()
    results: dict[str, Any] = {"meta": {
        "started": datetime.now().isoformat(timespec="seconds"), "commit": _git_commit(),
        "python": platform.python_version(), "duckdb": duckdb.__version__, "polars": pl.__version__,
        "cpus": psutil.cpu_count(), "memory_bytes": psutil.virtual_memory().total,
        "load_before": list(os.getloadavg()), "runs": args.runs,
        "duckdb_threads": os.environ.get("ATTUNE_THREADS", "2"),
        "duckdb_memory_limit": os.environ.get("ATTUNE_MEMORY", "1GB"),
        "method": {
            "import": "attune import as a subprocess per file; rows/s on wall time minus the start-up measured "
                      "by importing the therapist roster first (raw wall-time figures kept too)",
            "pages": "AppTest.run() wall time; cold = attune.ui.cache.clear() + st.cache_data.clear() before "
                     "the run, connection kept; warm = repeated run",
            "aggregates": "per therapist and week: mean SRS and no-show parts; Attune = named query "
                          "bench_therapist_week on the imported database (median of runs); pandas = read_csv of "
                          "both files (needed columns only) + merge + groupby",
            "served": "streamlit run + headless Chromium; RSS of the server process sampled every 20 ms",
        }}, "sizes": {}}
    if args.keep_other_sizes and args.out.exists():
        earlier = json.loads(args.out.read_text())
        results["sizes"].update({k: v for k, v in earlier.get("sizes", {}).items() if int(k) not in sizes})
    try:
        for size in sizes:
            size_began = time.perf_counter()
            load_before = list(os.getloadavg())
            partial = args.out.with_name(f"{args.out.stem}.partial-{size}.json")
            measured = measure_size(size, args.runs, workdir, args.skip_served,
                                    lambda r, p=partial: p.write_text(json.dumps(r, default=str)),
                                    [p for p in args.pages.split(",") if p])
            measured["run"] = {"started": datetime.now().isoformat(timespec="seconds"), "commit": _git_commit(),
                               "runs": args.runs, "took_s": time.perf_counter() - size_began,
                               "load_before": load_before, "load_after": list(os.getloadavg())}
            results["sizes"][str(size)] = measured
            partial.unlink(missing_ok=True)
            for path in workdir.glob(f"*_{size}*"):
                if args.workdir is None:
                    shutil.rmtree(path) if path.is_dir() else path.unlink()
    finally:
        if args.workdir is None:
            shutil.rmtree(workdir, ignore_errors=True)
    results["meta"]["load_after"] = list(os.getloadavg())
    results["meta"]["took_s"] = time.perf_counter() - began
    results["sizes"] = dict(sorted(results["sizes"].items(), key=lambda kv: int(kv[0])))
    for r in results["sizes"].values():
        r["page_summary"] = page_summary(r["pages"])
    results["targets"] = judge(results)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2, default=str) + "\n")
    print(table(results))
    print(f"\nWrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
