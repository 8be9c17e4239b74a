"""The benchmark harness (`make bench`): a small run works end to end and writes every section.

No timing is asserted (the machine is shared and noisy); the figures must exist, be positive and be
consistent with the files the run generated.
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from bench.pages import discover_pages, select_pages, trace_points
from bench.run import TARGETS, judge
from bench.served import browser_available

ROOT = Path(__file__).resolve().parent.parent


def test_discover_pages_reads_app_py_in_order(tmp_path):
    app = tmp_path / "app.py"
    app.write_text(
        "import streamlit as st\n"
        "PAGES = [\n"
        '    st.Page("pages/overview.py", title="Overview", default=True),\n'
        '    st.Page("pages/therapists.py", title="Therapists", icon=":material/group:"),\n'
        '    st.Page("pages/data.py", title="Data", url_path="import"),\n'
        "]\n")
    pages = discover_pages(app)
    assert [p["path"] for p in pages] == ["pages/overview.py", "pages/therapists.py", "pages/data.py"]
    assert [p["url_path"] for p in pages] == ["", "therapists", "import"]
    assert [p["default"] for p in pages] == [True, False, False]


def test_discover_pages_finds_every_page_of_the_real_app():
    paths = [p["path"] for p in discover_pages()]
    assert "pages/overview.py" in paths
    assert all((ROOT / p).exists() for p in paths)


def test_trace_points_counts_plain_and_typed_arrays():
    typed = {"dtype": "f8", "bdata": base64.b64encode(np.arange(5, dtype="f8").tobytes()).decode()}
    assert trace_points({"x": [1, 2, 3], "y": typed}) == 5
    assert trace_points({"x": [1, 2], "y": [3, 4]}) == 2
    assert trace_points({"type": "scatter"}) == 0
    small = {"dtype": "i2", "bdata": base64.b64encode(np.arange(7, dtype="i2").tobytes()).decode()}
    assert trace_points({"values": small}) == 7


def test_judge_compares_each_target_at_its_size():
    page = {"filters": {"default": {"cold": {"median_ms": 300.0, "max_ms": 900.0, "cpu_median_ms": 200.0},
                                    "warm": {"median_ms": 150.0, "max_ms": 160.0, "cpu_median_ms": 40.0},
                                    "payload": {"max_points_per_chart": 100, "chart_bytes": 10}, "errors": []}}}
    results = {"sizes": {"1000000": {"pages": {"pages/a.py": page}}}}
    verdicts = {(v["target"], v["sessions"]): v for v in judge(results)}
    assert verdicts[("slowest page, cold median", 1_000_000)]["verdict"] == "pass"  # 300 < 500
    warm = verdicts[("slowest page, warm median", 1_000_000)]
    assert (warm["verdict"], warm["cpu_verdict"]) == ("MISS", "pass")  # 150 ms waited, 40 ms of CPU
    assert verdicts[("slowest page, cold median", 10_000_000)]["verdict"] == "not measured"
    assert verdicts[("import sessions speed / raw DuckDB", 1_000_000)]["verdict"] == "n/a"


def test_make_bench_runs_the_harness():
    dry = subprocess.run(["make", "-n", "bench", "SIZES=20000"], cwd=ROOT, capture_output=True, text=True)
    assert dry.returncode == 0, dry.stderr
    assert "-m bench.run --sizes 20000" in dry.stdout


# One page keeps this end-to-end run short; `make bench` measures every page.
MEASURED = ["pages/overview.py"]


def test_select_pages_keeps_app_order_and_refuses_unknown_paths():
    in_app_order = ["pages/overview.py", "pages/therapists.py"]
    assert [p["path"] for p in select_pages(list(reversed(in_app_order)))] == in_app_order
    assert select_pages() == discover_pages()
    with pytest.raises(SystemExit, match="pages/nope.py"):
        select_pages(["pages/nope.py"])


@pytest.fixture(scope="module")
def small_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("bench") / "latest.json"
    proc = subprocess.run([sys.executable, "-m", "bench.run", "--sizes", "20000", "--runs", "1", "--out", str(out),
                           "--pages", ",".join(MEASURED)],
                          cwd=ROOT, capture_output=True, text=True, timeout=1800)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(out.read_text()), proc.stdout


def test_small_run_writes_every_section(small_run):
    results, printed = small_run
    size = results["sizes"]["20000"]
    assert {"generate", "import", "pages", "aggregates", "served", "page_summary"} <= size.keys()
    assert {"cpus", "load_before", "load_after", "took_s", "method"} <= results["meta"].keys()
    assert {(v["target"], v["sessions"]) for v in results["targets"]} == {(t[0], t[1]) for t in TARGETS}
    assert "Targets (issue 10)" in printed and "Overview" in printed


def test_small_run_imports_what_it_generated(small_run):
    size = small_run[0]["sizes"]["20000"]
    for kind in ("sessions", "feedback"):
        measured = size["import"]["files"][kind]
        assert measured["rows"] == size["generate"]["rows"][kind]
        assert measured["duckdb"]["rows"] == measured["rows"] == measured["pandas"]["rows"]
        for rate in (measured["attune_rows_per_s"], measured["duckdb"]["rows_per_s"], measured["pandas"]["rows_per_s"]):
            assert rate > 0
    assert all(run["status"] == "imported" for run in size["import"]["cli"].values())
    for kind in ("sessions", "feedback"):  # where each import's time went, attention list included
        steps = size["import"]["files"][kind]["attune_steps_s"]
        assert {"reading", "checking", "merging", "summary_tables", "attention_list"} <= steps.keys()
        assert 0 < sum(steps.values()) < size["import"]["files"][kind]["attune_wall_s"]
    assert "sessions import's steps (s): opening" in small_run[1]


def test_small_run_measures_every_page_under_both_filters(small_run):
    size = small_run[0]["sizes"]["20000"]
    assert list(size["pages"]) == MEASURED
    for path, page in size["pages"].items():
        default, one = page["filters"]["default"], page["filters"]["one_therapist"]
        for measured in (default, one):
            assert measured["errors"] == [], (path, measured["errors"])
            assert measured["cold"]["runs"] == measured["warm"]["runs"] == 1
            assert 0 < measured["cold"]["median_ms"] <= measured["cold"]["max_ms"]
        assert one["therapists_in_filter"] == [size["one_therapist"]]
        assert default["therapists_in_filter"] == []
    overview = size["pages"]["pages/overview.py"]["filters"]["default"]["payload"]
    assert overview["chart_bytes"] > 0 and 0 < overview["max_points_per_chart"] < 5000


def test_small_run_compares_the_same_numbers_with_pandas(small_run):
    aggregates = small_run[0]["sizes"]["20000"]["aggregates"]
    assert aggregates["results_agree"] is True
    assert aggregates["groups"] > 0 and aggregates["speedup_vs_pandas"] > 0


def test_small_run_serves_the_app(small_run):
    served = small_run[0]["sizes"]["20000"]["served"]
    if browser_available():
        assert os.environ.get("CI") != "true", served["skipped"]
        pytest.skip(f"no browser here: {served['skipped']}")
    assert 0 < served["cold_start"]["to_healthy_s"] < served["cold_start"]["to_first_page_s"]
    assert served["peak_rss_bytes"] > 50 * 1024**2
    assert list(served["pages"]) == MEASURED
    for page in served["pages"].values():
        for measured in page["filters"].values():
            assert measured["exceptions"] == 0
            assert measured["websocket_bytes"] > 0 and measured["peak_rss_bytes"] > 0
