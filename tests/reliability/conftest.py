"""Reliability suite: figures each test measured are printed at the end of the run and kept as JSON."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
FIGURES: list[tuple[str, dict]] = []


@pytest.fixture
def figures(request):
    """Record what a test measured: `figures(sessions=20, worst_wait_s=1.2, ...)`."""

    def record(**values) -> None:
        FIGURES.append((request.node.name, values))
        out = ARTIFACTS / "figures"
        out.mkdir(parents=True, exist_ok=True)
        name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.name)
        (out / f"{name}.json").write_text(json.dumps(values, indent=2, default=str))

    return record


def pytest_terminal_summary(terminalreporter) -> None:
    if not FIGURES:
        return
    terminalreporter.section("reliability figures")
    for name, values in FIGURES:
        shown = ", ".join(f"{k}={v}" for k, v in values.items())
        terminalreporter.write_line(f"{name}: {shown}")
