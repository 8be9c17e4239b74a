"""Every page's server-side script time (AppTest), cold and warm, and the chart data it sends.

Run as its own process (`python -m bench.pages --db PATH --therapist ID`, JSON on stdout) so that its
DuckDB connection is closed before the served app opens the same file.

Cold: every cached result and figure is dropped first (`attune.ui.cache.clear()` and st.cache_data), as
after an import; the DuckDB connection stays open, as in a running server (process start is measured
separately as cold start). Warm: the same run again. Filter change (the meeting's case): with warm caches,
pick another therapist in the sidebar's multiselect, so the page's own queries run for a selection not seen
before while the sidebar's stay cached.
The time is one `AppTest.run()`: the page's script, its queries and chart building, plus AppTest's own
small overhead of turning the output into an element tree.
"""

from __future__ import annotations

import argparse
import ast
import base64
import json
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
APP = ROOT / "app.py"
TYPED_ARRAY_SIZES = {"i1": 1, "u1": 1, "i2": 2, "u2": 2, "i4": 4, "u4": 4, "f4": 4, "f8": 8, "i8": 8, "u8": 8}
POINT_KEYS = ("x", "y", "z", "values", "labels", "lat", "lon", "r", "theta", "a", "b", "c", "open", "close",
              "ids", "locations", "text")


def discover_pages(app: Path = APP) -> list[dict[str, Any]]:
    """The pages app.py registers: every st.Page("pages/NAME.py", title=...) call, in order."""
    pages = []
    for node in ast.walk(ast.parse(app.read_text(encoding="utf-8"))):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "Page"):
            continue
        if not (node.args and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)):
            continue
        options = {k.arg: k.value.value for k in node.keywords if isinstance(k.value, ast.Constant)}
        path = node.args[0].value
        pages.append({"path": path, "title": options.get("title", Path(path).stem),
                      "url_path": options.get("url_path") or ("" if options.get("default") else Path(path).stem),
                      "default": bool(options.get("default", False)), "_at": (node.lineno, node.col_offset)})
    pages.sort(key=lambda p: p.pop("_at"))
    return pages


def select_pages(only: list[str] | None = None) -> list[dict[str, Any]]:
    """The registered pages, or just those whose paths are in `only` (unknown paths are an error)."""
    pages = discover_pages()
    if not only:
        return pages
    unknown = set(only) - {p["path"] for p in pages}
    if unknown:
        raise SystemExit(f"not pages of app.py: {', '.join(sorted(unknown))}")
    return [p for p in pages if p["path"] in only]


def trace_points(trace: dict[str, Any]) -> int:
    """Data points one Plotly trace carries: the longest of its data arrays (typed arrays decoded)."""
    longest = 0
    for key in POINT_KEYS:
        value = trace.get(key)
        if isinstance(value, list):
            longest = max(longest, len(value))
        elif isinstance(value, dict) and "bdata" in value:
            size = TYPED_ARRAY_SIZES.get(value.get("dtype", "f8"), 8)
            longest = max(longest, len(base64.b64decode(value["bdata"])) // size)
    return longest


def chart_payload(at) -> dict[str, Any]:
    """Bytes of figure JSON and points per chart the page sends, plus the bytes of its tables."""
    charts = []
    for element in at.get("plotly_chart"):
        spec = element.proto.spec
        figure = json.loads(spec)
        charts.append({"key": getattr(element, "key", None), "bytes": len(spec.encode("utf-8")),
                       "traces": len(figure.get("data", [])),
                       "points": sum(trace_points(t) for t in figure.get("data", []))})
    tables = [len(element.proto.data) for element in at.get("arrow_data_frame") if hasattr(element.proto, "data")]
    tables += [len(element.proto.data.data) for element in at.get("dataframe")
               if hasattr(element.proto, "data") and hasattr(element.proto.data, "data")]
    return {"charts": charts, "chart_bytes": sum(c["bytes"] for c in charts),
            "max_points_per_chart": max((c["points"] for c in charts), default=0),
            "tables": len(tables), "table_bytes": sum(tables)}


def _clear_caches() -> None:
    import streamlit as st

    from attune.ui import cache

    if hasattr(cache, "clear"):
        cache.clear()
    st.cache_data.clear()


def _timed_run(at) -> tuple[float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    at.run()
    return time.perf_counter() - wall, time.process_time() - cpu


def _stats(samples: list[tuple[float, float]]) -> dict[str, Any]:
    walls = [s[0] for s in samples]
    return {"median_ms": 1000 * statistics.median(walls), "max_ms": 1000 * max(walls),
            "min_ms": 1000 * min(walls), "cpu_median_ms": 1000 * statistics.median(s[1] for s in samples),
            "runs": len(walls)}


def measure_page(page: dict[str, Any], query: dict[str, str], runs: int, timeout: float) -> dict[str, Any]:
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(APP), default_timeout=timeout)
    for key, value in query.items():
        at.query_params[key] = value
    at.run()
    if not page["default"]:
        at.switch_page(page["path"])
    first = _timed_run(at)
    errors = [e.value for e in at.exception]
    cold, warm = [], []
    for _ in range(runs):
        _clear_caches()
        cold.append(_timed_run(at))
        errors += [e.value for e in at.exception]
    for _ in range(runs):
        warm.append(_timed_run(at))
        errors += [e.value for e in at.exception]
    try:
        filters = at.session_state["filters"]
    except KeyError:
        filters = None
    changed = _filter_changes(at, runs) if query else []
    errors += [e.value for e in at.exception]
    return {"first_run_ms": 1000 * first[0], "cold": _stats(cold), "warm": _stats(warm),
            "filter_change": _stats(changed) if changed else None,
            "payload": chart_payload(at), "errors": sorted(set(map(str, errors)))[:5],
            "therapists_in_filter": list(filters.therapist_ids) if filters is not None else None}


def _filter_changes(at, runs: int) -> list[tuple[float, float]]:
    """Pick a different single therapist before each run (the sidebar widget, as a user would)."""
    widgets = [w for w in at.multiselect if w.key == "flt_therapists"]
    if not widgets:
        return []
    options = [o for o in widgets[0].options if o not in widgets[0].value]
    samples = []
    for option in options[1:runs + 1]:
        widget = [w for w in at.multiselect if w.key == "flt_therapists"][0]
        widget.set_value([_option_value(widget, option)])
        samples.append(_timed_run(at))
    return samples


def _option_value(widget, label: str) -> Any:
    """The value behind a multiselect option label (labels are formatted, e.g. "Ann Lee (T01)")."""
    return label[label.rfind("(") + 1:-1] if label.endswith(")") else label


def measure_all(database: Path, therapist: str, runs: int, timeout: float = 600,
                only: list[str] | None = None) -> dict[str, Any]:
    os.environ["ATTUNE_DB"] = str(database)
    os.chdir(ROOT)
    results = {}
    for page in select_pages(only):
        results[page["path"]] = {"title": page["title"], "url_path": page["url_path"], "default": page["default"],
                                 "filters": {}}
        for label, query in (("default", {}), ("one_therapist", {"therapist": therapist})):
            began = time.perf_counter()
            try:
                results[page["path"]]["filters"][label] = measure_page(page, query, runs, timeout)
            except Exception as exc:  # e.g. a run longer than the timeout: recorded, the other pages still run
                results[page["path"]]["filters"][label] = {"error": f"{type(exc).__name__}: {exc}"[:300]}
            print(f"  {page['path']} {label}: {time.perf_counter() - began:.0f} s", file=sys.stderr, flush=True)
            _clear_caches()
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", type=Path, required=True)
    parser.add_argument("--therapist", required=True)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--pages", default="", help="comma-separated page paths (default: every page)")
    args = parser.parse_args(argv)
    only = [p for p in args.pages.split(",") if p]
    json.dump(measure_all(args.db, args.therapist, args.runs, only=only), sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
