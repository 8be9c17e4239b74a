"""Many users at once while an analyst imports a large file into the running dashboard.

N websocket sessions (what browser tabs do to the server, see tests/support/stclient.py) load every
registered page round-robin while a large sessions export is imported inside the app's process
through the app's own connection (as the Data page does). Every page view must finish without an
exception or error, and show either exactly what it showed before the import or exactly what it
shows after it: never numbers from both. The figures (sessions, requests, errors, worst wait) are
printed at the end of the run.

A command-line import while the dashboard runs is refused with a clear message (one read-write
process per DuckDB file); see test_database_safety.py.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.support import server, stclient
from tests.support.bigfile import write_sessions

LAUNCHER = Path(__file__).resolve().parents[1] / "support" / "serve_with_import.py"
QUERY = "period=all"  # the whole history: an import anywhere in it changes the numbers


@dataclass
class Run:
    old: dict[str, stclient.PageView]
    new: dict[str, stclient.PageView]
    import_result: dict
    views: list[tuple[int, stclient.PageView, float, float]] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)


async def _drive(base_url: str, control: Path, big: Path, sessions: int, views_after: int, think_s: float) -> Run:
    paths = [p.url_pathname for p in await stclient.pages(base_url)]
    async with stclient.Session(base_url) as probe:
        old = {p: await probe.view(p, QUERY) for p in paths}
    run = Run(old, {}, {})
    stop = asyncio.Event()
    finished_at: list[float] = []

    async def user(number: int) -> None:
        async with stclient.Session(base_url) as session:
            turn, after = number, 0
            while not (stop.is_set() and after >= views_after):
                page = paths[turn % len(paths)]
                turn += 1
                started = time.time()
                view = await session.view(page, QUERY)
                run.views.append((number, view, started, time.time()))
                if finished_at and started > finished_at[0]:
                    after += 1
                if think_s:  # a person reads the page before opening the next; staggered so they do not align
                    await asyncio.sleep(think_s * (0.5 + ((number * 7 + turn) % 10) / 10))

    tasks = [asyncio.create_task(user(i)) for i in range(sessions)]
    await asyncio.sleep(3)  # everyone is busy before the import starts
    (control / "import.request").write_text(str(big))
    deadline = time.monotonic() + 1800
    while not (control / "import.done").exists() and time.monotonic() < deadline:
        if any(t.done() for t in tasks):
            break
        await asyncio.sleep(0.2)
    if (control / "import.done").exists():
        run.import_result = json.loads((control / "import.done").read_text())
    finished_at.append(time.time())
    stop.set()
    for outcome in await asyncio.gather(*tasks, return_exceptions=True):
        if isinstance(outcome, BaseException):
            run.failures.append(f"a session failed: {outcome!r}")
    async with stclient.Session(base_url) as probe:
        run.new = {p: await probe.view(p, QUERY) for p in paths}
    return run


def run_concurrency(tmp_path: Path, template: Path, sessions: int, rows: int, figures, think_s: float = 0) -> None:
    db_path = tmp_path / "clinic.duckdb"
    shutil.copy(template, db_path)
    big = write_sessions(tmp_path / "big_sessions.csv", rows)
    control = tmp_path / "control"
    control.mkdir()
    app = server.start(db_path, tmp_path / "server.log", launcher=LAUNCHER,
                       extra_env={"ATTUNE_TEST_CONTROL": str(control)})
    try:
        run = stclient.run(_drive(app.base_url, control, big, sessions, views_after=2, think_s=think_s))
    finally:
        app.stop()

    imported = run.import_result
    waits = [view.seconds for _, view, _, _ in run.views]
    during = [v for _, v, start, end in run.views
              if imported and start < imported["finished"] and end > imported["started"]]
    errors = [f"{view.page}: {problem}" for _, view, _, _ in run.views
              for problem in view.exceptions + view.errors] + run.failures
    mixed, saw_new = [], 0
    for _, view, _, _ in run.views:
        signature = view.signature()
        if signature == run.new[view.page].signature():
            saw_new += 1
        elif signature != run.old[view.page].signature():
            mixed.append(view)
    figures(sessions=sessions, think_s=think_s, import_rows=rows, import_seconds=round(imported.get("finished", 0)
                                                                         - imported.get("started", 0), 1),
            requests=len(run.views), requests_during_import=len(during), errors=len(errors),
            worst_wait_s=round(max(waits), 2), median_wait_s=round(sorted(waits)[len(waits) // 2], 2),
            worst_wait_during_import_s=round(max((v.seconds for v in during), default=0), 2),
            worst_wait_after_import_s=round(max((v.seconds for _, v, start, _ in run.views
                                                 if imported and start >= imported["finished"]), default=0), 2),
            slowest=[f"{v.page or 'overview'} {v.seconds:.1f}s at {start - imported.get('started', start):+.0f}s"
                     for _, v, start, _ in sorted(run.views, key=lambda r: -r[1].seconds)[:5]],
            views_old=len(run.views) - saw_new - len(mixed), views_new=saw_new, views_mixed=len(mixed),
            reruns_for_new_data=sum(v.reruns for _, v, _, _ in run.views))

    assert imported.get("status") == "imported" and imported["inserted"] == rows, imported
    assert not errors, errors[:10]
    default = next(p for p in run.old)
    assert run.old[default].signature() != run.new[default].signature(), "the import did not change the numbers"
    assert during, "no page view overlapped the import: the test proved nothing"
    assert not mixed, [(v.page, v.signature()) for v in mixed[:3]]
    assert saw_new, "no session ever saw the imported data"


def test_concurrent_sessions_during_an_import(tmp_path, demo_db_template, figures):
    """The make-test variant: 6 sessions, a 100,000-row import."""
    run_concurrency(tmp_path, demo_db_template, sessions=6, rows=100_000, figures=figures)


@pytest.mark.soak
def test_concurrent_sessions_during_a_million_row_import(tmp_path, demo_db_template, figures):
    """The soak variant (make soak): 20 sessions, a 1,000,000-row import; each person reads a page for a few
    seconds (1.5-4.5 s) before opening the next, as in a meeting. The make-test variant gives none."""
    run_concurrency(tmp_path, demo_db_template, sessions=20, rows=1_000_000, figures=figures, think_s=3)
