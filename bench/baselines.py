"""Import and aggregate measurements: Attune next to raw DuckDB (the limit) and pandas (the alternative).

Attune's import runs as the real command line (`attune import FILE --db PATH --json`), one process per
file; the process's start-up (interpreter, imports, opening the database) is measured separately by
importing the tiny therapist roster first, and reported both ways (wall and net of start-up).
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import polars as pl
import psutil

from attune import db

ROOT = Path(__file__).resolve().parent.parent

# The canonical column types of the demo exports, for DuckDB's read_csv with an explicit schema.
DUCKDB_TYPES = {pl.String: "VARCHAR", pl.Int64: "BIGINT", pl.Int32: "INTEGER", pl.Float64: "DOUBLE",
                pl.Boolean: "BOOLEAN", pl.Date: "DATE", pl.Datetime: "TIMESTAMP"}
DATE_COLUMNS = {"sessions": ["scheduled_at"], "episodes": ["start_date", "end_date"],
                "switch_requests": ["requested_at"]}


class PeakRss:
    """Polls a process's resident memory (with its children) in a thread.

    `peak` is the highest seen since the last `reset()`, `overall` the highest seen at all."""

    def __init__(self, pid: int, interval: float = 0.02):
        self.process = psutil.Process(pid)
        self.interval = interval
        self.peak = 0
        self.overall = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._poll, daemon=True)

    def _poll(self) -> None:
        while not self._stop.is_set():
            self.sample()
            time.sleep(self.interval)

    def sample(self) -> int:
        try:
            procs = [self.process, *self.process.children(recursive=True)]
            rss = sum(p.memory_info().rss for p in procs)
        except psutil.Error:
            return self.peak
        self.peak = max(self.peak, rss)
        self.overall = max(self.overall, rss)
        return rss

    def reset(self) -> None:
        self.peak = 0
        self.sample()

    def __enter__(self) -> PeakRss:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def attune_import(path: Path, database: Path, env: dict[str, str]) -> dict[str, Any]:
    """One `attune import` process: wall time, CPU time, peak RSS and the import's own report."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "attune.cli", "import", str(path), "--db", str(database),
                             "--json"], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    with PeakRss(proc.pid) as rss:
        out, err = proc.communicate()
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        raise RuntimeError(f"attune import {path.name} exited {proc.returncode}: {err[-2000:]}")
    summary = json.loads(out)
    report = summary["files"][0]
    steps = dict(report["seconds"])
    if summary["attention_list_seconds"] is not None:  # stored by the command after the file's own transaction
        steps["attention_list"] = summary["attention_list_seconds"]
    return {"file": path.name, "rows": report["rows_read"], "inserted": report["inserted"],
            "status": report["status"], "wall_s": wall, "steps_s": steps,
            "cpu_s": (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime),
            "peak_rss_bytes": rss.peak}


def duckdb_read_csv(path: Path, schema: pl.Schema, workdir: Path) -> dict[str, Any]:
    """The limit: DuckDB's read_csv with an explicit schema straight into a table of a fresh database file,
    with the same threads and memory limit as Attune."""
    target = workdir / f"raw_{path.stem}.duckdb"
    target.unlink(missing_ok=True)
    columns = {name: DUCKDB_TYPES[dtype.base_type()] for name, dtype in schema.items()}
    con = duckdb.connect(str(target), config={"threads": os.environ.get("ATTUNE_THREADS", "2"),
                                               "memory_limit": os.environ.get("ATTUNE_MEMORY", "1GB")})
    started = time.perf_counter()
    cpu = time.process_time()
    con.execute("CREATE TABLE t AS SELECT * FROM read_csv($path, header = true, columns = $columns)",
                {"path": str(path), "columns": columns})
    con.execute("CHECKPOINT")
    wall, cpu = time.perf_counter() - started, time.process_time() - cpu
    rows = con.execute("SELECT count(*) FROM t").fetchall()[0][0]
    con.close()
    target.unlink(missing_ok=True)
    return {"rows": rows, "wall_s": wall, "cpu_s": cpu, "rows_per_s": rows / wall,
            "rows_per_cpu_s": rows / max(cpu, 1e-9)}


def pandas_read_csv(path: Path, kind: str) -> dict[str, Any]:
    """The common alternative: pandas.read_csv (C engine), dates parsed."""
    started = time.perf_counter()
    cpu = time.process_time()
    frame = pd.read_csv(path, parse_dates=DATE_COLUMNS.get(kind, []), date_format="ISO8601")
    wall, cpu = time.perf_counter() - started, time.process_time() - cpu
    rows = len(frame)
    del frame
    return {"rows": rows, "wall_s": wall, "cpu_s": cpu, "rows_per_s": rows / wall,
            "rows_per_cpu_s": rows / max(cpu, 1e-9)}


def measure_import(exports: Path, database: Path, schemas: dict[str, pl.Schema], workdir: Path,
                   env: dict[str, str]) -> dict[str, Any]:
    """Import every file with the CLI into `database` (which the page measurements then use), and read the
    sessions and feedback files with raw DuckDB and pandas.

    Rates are given on wall time and on CPU time (all threads): on a shared machine the CPU figures show
    the code's speed, the wall figures what a user waited."""
    database.unlink(missing_ok=True)
    scratch = workdir / "warmup.duckdb"
    attune_import(exports / "therapists.csv", scratch, env)  # a first process writes bytecode caches
    scratch.unlink(missing_ok=True)
    cli = {kind: attune_import(exports / f"{kind}.csv", database, env)
           for kind in ("therapists", "sessions", "feedback", "episodes", "switch_requests")}
    # Start-up, opening the database and a 12-2,000 row file: the fixed cost of one process.
    overhead, overhead_cpu = cli["therapists"]["wall_s"], cli["therapists"]["cpu_s"]
    result: dict[str, Any] = {"cli": cli, "cli_startup_s": overhead, "cli_startup_cpu_s": overhead_cpu,
                              "files": {}}
    for kind in ("sessions", "feedback"):
        path = exports / f"{kind}.csv"
        run = cli[kind]
        rows = run["rows"]
        net, net_cpu = max(run["wall_s"] - overhead, 1e-9), max(run["cpu_s"] - overhead_cpu, 1e-9)
        raw = duckdb_read_csv(path, schemas[kind], workdir)
        pand = pandas_read_csv(path, kind)
        result["files"][kind] = {
            "rows": rows, "bytes": path.stat().st_size,
            "attune_wall_s": run["wall_s"], "attune_net_s": net, "attune_net_cpu_s": net_cpu,
            "attune_rows_per_s": rows / net, "attune_rows_per_s_wall": rows / run["wall_s"],
            "attune_rows_per_cpu_s": rows / net_cpu,
            "attune_peak_rss_bytes": run["peak_rss_bytes"], "attune_steps_s": run["steps_s"],
            "duckdb": raw, "pandas": pand,
            "ratio_to_duckdb": (rows / net) / raw["rows_per_s"],
            "ratio_to_duckdb_cpu": (rows / net_cpu) / raw["rows_per_cpu_s"],
            "ratio_to_pandas": (rows / net) / pand["rows_per_s"],
        }
    return result


def pandas_aggregates(exports: Path) -> tuple[pd.DataFrame, dict[str, float]]:
    """What an analyst would do in a notebook: load both exports, then per therapist and week the mean SRS
    and the no-show rate's parts (no_show / (attended + no_show + late_cancel))."""
    started, cpu = time.perf_counter(), time.process_time()
    sessions = pd.read_csv(exports / "sessions.csv", usecols=["session_id", "therapist_id", "scheduled_at", "status"],
                           parse_dates=["scheduled_at"], date_format="ISO8601")
    feedback = pd.read_csv(exports / "feedback.csv", usecols=["session_id", "srs_total"])
    loaded, loaded_cpu = time.perf_counter(), time.process_time()
    sessions["week"] = sessions["scheduled_at"].dt.to_period("W-SUN").dt.start_time
    sessions["no_show"] = sessions["status"].eq("no_show")
    sessions["counted"] = sessions["status"].isin(["attended", "no_show", "late_cancel"])
    attendance = sessions.groupby(["therapist_id", "week"]).agg(
        no_show=("no_show", "sum"), no_show_denominator=("counted", "sum"))
    rated = feedback.dropna(subset=["srs_total"]).merge(sessions[["session_id", "therapist_id", "week"]],
                                                        on="session_id")
    srs = rated.groupby(["therapist_id", "week"]).agg(rated=("srs_total", "size"), mean_srs=("srs_total", "mean"))
    result = attendance.join(srs, how="outer").reset_index()
    done, done_cpu = time.perf_counter(), time.process_time()
    return result, {"load_s": loaded - started, "aggregate_s": done - loaded, "total_s": done - started,
                    "load_cpu_s": loaded_cpu - cpu, "aggregate_cpu_s": done_cpu - loaded_cpu,
                    "total_cpu_s": done_cpu - cpu}


def attune_aggregates(database: Path, runs: int) -> tuple[pl.DataFrame, dict[str, Any]]:
    """The same aggregates the way the app computes them: a named query over the imported database."""
    con = db.connect(database, read_only=True)
    params = {"start_date": None, "end_date": None, "therapist_ids": [], "supervisors": [], "sites": [],
              "services": [], "visible": None}
    times, cpus = [], []
    frame = pl.DataFrame()
    for _ in range(runs):
        started, cpu = time.perf_counter(), time.process_time()
        frame = db.run_query(con, "bench_therapist_week", params)
        times.append(time.perf_counter() - started)
        cpus.append(time.process_time() - cpu)
    con.close()
    return frame, {"first_s": times[0], "median_s": _median(times), "max_s": max(times),
                   "cpu_median_s": _median(cpus), "runs": len(times)}


def compare_aggregates(exports: Path, database: Path, runs: int) -> dict[str, Any]:
    """Attune's query against the pandas notebook, with a check that both computed the same numbers."""
    ours, timing = attune_aggregates(database, runs)
    theirs, pandas_timing = pandas_aggregates(exports)
    theirs_pl = pl.from_pandas(theirs).with_columns(pl.col("week").cast(pl.Date))
    joined = ours.join(theirs_pl, on=["therapist_id", "week"], how="full", suffix="_pd", coalesce=True)
    agree = (joined.height == ours.height == theirs_pl.height
             and joined.select((pl.col("rated") - pl.col("rated_pd").fill_null(0)).abs().max()).item() == 0
             and joined.select((pl.col("no_show") - pl.col("no_show_pd")).abs().max()).item() == 0
             and joined.select((pl.col("no_show_denominator") - pl.col("no_show_denominator_pd")).abs().max()
                               ).item() == 0
             and (joined.select((pl.col("mean_srs") - pl.col("mean_srs_pd")).abs().max()).item() or 0) < 1e-9)
    return {
        "groups": ours.height, "results_agree": bool(agree),
        "attune": timing, "pandas": pandas_timing,
        "speedup_vs_pandas": pandas_timing["total_s"] / timing["median_s"],
        "speedup_vs_pandas_cpu": pandas_timing["total_cpu_s"] / timing["cpu_median_s"],
        "speedup_vs_pandas_in_memory": pandas_timing["aggregate_s"] / timing["median_s"],
    }


def _median(values: list[float]) -> float:
    ordered = sorted(values)
    mid = len(ordered) // 2
    return ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2

