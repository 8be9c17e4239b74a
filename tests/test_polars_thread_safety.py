"""No Python function runs inside a Polars expression in the app.

Polars runs such a function (map_elements, map_batches, ...) on its own thread pool, where it needs the GIL.
When another session holds the GIL while waiting on that pool (Streamlit converting a frame for
st.dataframe does), the server deadlocks: every page of every user stops. The concurrency test found it;
this test keeps it from coming back. Use attune.formatting.each or a native expression instead.
"""

from __future__ import annotations

import ast
from pathlib import Path

import polars as pl

from attune.formatting import each, one_decimal, score

ROOT = Path(__file__).resolve().parents[1]
PYTHON_IN_POLARS = {"map_elements", "map_batches", "map_rows", "map_groups", "apply", "pipe_with_schema"}


def test_no_python_function_inside_polars_expressions():
    found = []
    for path in sorted([*ROOT.glob("attune/**/*.py"), *ROOT.glob("pages/*.py"), ROOT / "app.py"]):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Attribute) and node.attr in PYTHON_IN_POLARS:
                found.append(f"{path.relative_to(ROOT)}:{node.lineno} .{node.attr}")
    assert not found, found


def test_native_one_decimal_writes_scores_like_python():
    values = [36.0, 35.95, 0.1 + 0.2, -0.04, 36.25, 12.349, None, 40.0]
    got = pl.DataFrame({"v": values}).select(one_decimal(pl.col("v")))["v"].to_list()
    assert got == [score(v) for v in values[:3]] + ["0.0", "36.2", "12.3", "—", "40.0"]
    signed = pl.DataFrame({"v": [2.0, -1.5, 0.0]}).select(one_decimal(pl.col("v"), signed=True))["v"].to_list()
    assert signed == ["+2.0", "-1.5", "+0.0"]


def test_each_runs_in_this_thread_and_keeps_nulls():
    out = each(pl.Series("reason", ["a", None, "bc"]), lambda v: v.upper())
    assert out.to_list() == ["A", None, "BC"] and out.name == "reason"
    assert each(pl.Series("x", [None]), lambda v: "empty", skip_nulls=False).to_list() == ["empty"]
