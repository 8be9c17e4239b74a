"""Browser tests: one served app per run (a temporary demo database), Chromium, a fresh tab per test.

The app is started exactly as a clinic runs it (`streamlit run app.py`) on a free port, against a
database built with the real commands (`attune demo`, `attune import`). Debian's chromium is driven by
Playwright with the launch flags in LAUNCH_ARGS below. Without chromium the tests are skipped, except under
CI=true where a missing browser fails the run. A failing test leaves a screenshot in test-artifacts/.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from attune import db
from tests.support import server, stclient
from tests.support.browser import WATCH_MUTATIONS
from tests.support.server import ATTUNE_CLI

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = Path("/usr/bin/chromium")
LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
               "--disable-component-update", "--disable-sync"]


@dataclass
class ServedApp:
    base_url: str
    exports: Path  # the demo clinic's CSV exports the database was built from
    pages: dict[str, str]  # page title -> URL path, as the running app registers them

    def url(self, title: str, query: str = "") -> str:
        path = self.pages[title]
        return f"{self.base_url}/{path}" + (f"?{query}" if query else "")


def _require_browser() -> None:
    problem = None
    if not CHROMIUM.exists():
        problem = f"chromium is not installed at {CHROMIUM} (`make browser` installs it)"
    else:
        try:
            import playwright.sync_api  # noqa: F401
        except ImportError:
            problem = "playwright is not installed (`uv sync` installs the dev dependencies)"
    if problem:
        if os.environ.get("CI") == "true":
            pytest.fail(f"{problem}; under CI=true the browser tests must run", pytrace=False)
        pytest.skip(problem)


def _attune(*args: str) -> None:
    done = subprocess.run([*ATTUNE_CLI, *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=600)
    assert done.returncode == 0, f"attune {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}"


@pytest.fixture(scope="session")
def served_app(tmp_path_factory) -> ServedApp:
    """`streamlit run app.py` on a free port against a fresh demo database; stopped after the run."""
    work = tmp_path_factory.mktemp("served_app")
    exports, database = work / "demo", work / "attune.duckdb"
    _attune("demo", "--out", str(exports))
    _attune("import", *sorted(str(p) for p in exports.glob("*.csv")), "--db", str(database))
    con = db.connect(database)
    sessions = con.execute("SELECT count(*) FROM sessions").fetchall()[0][0]
    con.close()
    assert sessions > 0, "attune import reported success but imported no sessions"
    secrets = work / "secrets.toml"  # no [auth]: local mode, whatever the developer's own secrets say
    secrets.write_text("")
    log = work / "server.log"
    app = server.start(database, log, extra_args=["--secrets.files", str(secrets)])
    try:
        pages = {p.title: p.url_pathname for p in stclient.run(stclient.pages(app.base_url))}
        yield ServedApp(app.base_url, exports, pages)
    finally:
        app.stop()
        ARTIFACTS.mkdir(exist_ok=True)
        shutil.copy(log, ARTIFACTS / "browser-server.log")


@pytest.fixture(scope="module")
def browser():
    """One Chromium per test module (Playwright's sync API allows one at a time per thread)."""
    _require_browser()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
        yield instance
        instance.close()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


@pytest.fixture(scope="module")
def browser_context(browser):
    """One context per test module: its HTTP and code caches spare every test compiling Streamlit's and Plotly's
    JavaScript again (about a tenth of the browser's CPU). Each test still gets its own tab, hence its own app
    session; no test here signs in, so the shared cookies hold nothing. Motion is reduced: no test looks at it."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, accept_downloads=True,
                                  reduced_motion="reduce")
    context.add_init_script(WATCH_MUTATIONS)
    yield context
    context.close()


@pytest.fixture
def page(browser_context, request):
    """A fresh tab; a screenshot is saved to test-artifacts/ when the test fails."""
    tab = browser_context.new_page()
    tab.set_default_timeout(60_000)
    yield tab
    failed = getattr(request.node, "rep_call", None)
    if failed is not None and failed.failed:
        ARTIFACTS.mkdir(exist_ok=True)
        name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.nodeid)
        try:
            tab.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
        except Exception as exc:  # the page may be gone; the failure itself is what matters
            print(f"no screenshot: {exc}")
    for opened in browser_context.pages:  # the tab and any the test opened from it
        opened.close()
