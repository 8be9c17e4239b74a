"""In a real Chromium: a shared link opens the filtered view, and the meeting report downloads and renders offline."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from datetime import date
from pathlib import Path

import pytest

from tests.test_overview import expected_numbers

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
               "--disable-component-update", "--disable-sync"]

SCRIPT_STATE = "document.querySelector('[data-testid=\"stApp\"]')?.getAttribute('data-test-script-state')"

pytestmark = pytest.mark.browser


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(url: str, timeout: float = 90) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise TimeoutError(f"{url} did not come up")


@pytest.fixture(scope="module")
def app_url(demo_db_template, tmp_path_factory):
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI") == "true":
            pytest.fail("chromium is required under CI=true (make browser installs it)")
        pytest.skip("chromium is not installed (make browser installs it)")
    database = tmp_path_factory.mktemp("filtered_url") / "attune.duckdb"
    shutil.copy(demo_db_template, database)
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port), "--server.address",
         "localhost", "--server.headless", "true"],
        cwd=ROOT, env={**os.environ, "ATTUNE_DB": str(database)}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for(f"http://localhost:{port}/_stcore/health")
        yield f"http://localhost:{port}"
    finally:
        server.terminate()
        server.wait(timeout=30)


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        yield chromium
        chromium.close()


def settle(page, timeout: float = 90) -> None:
    """Wait until the app has connected, run its script and drawn no loading skeleton."""
    page.wait_for_selector('[data-testid="stApp"]', timeout=timeout * 1000)
    deadline, calm = time.time() + timeout, 0
    while time.time() < deadline and calm < 3:
        state = page.evaluate(SCRIPT_STATE)
        busy = state != "notRunning" or page.locator('[data-testid="stSkeleton"]').count()
        calm = 0 if busy else calm + 1
        time.sleep(0.4)


def metric(page, label: str) -> str:
    card = page.locator('[data-testid="stMetric"]').filter(
        has=page.locator('[data-testid="stMetricLabel"]', has_text=label)).first
    return card.locator('[data-testid="stMetricValue"]').inner_text().strip()


def test_a_filtered_link_shows_the_filtered_numbers(app_url, browser, demo_exports):
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(f"{app_url}/?period=custom&from=2026-09-01&to=2026-10-31&therapist=T05", timeout=90000)
    settle(page)
    assert page.locator('[data-testid="stException"]').count() == 0
    want = expected_numbers(demo_exports, date(2026, 9, 1), date(2026, 10, 31), ("T05",))
    everyone = expected_numbers(demo_exports, date(2026, 9, 1), date(2026, 10, 31))
    assert metric(page, "Sessions held") == f"{want['held']:,}" != f"{everyone['held']:,}"
    assert "therapist=T05" in page.url and "from=2026-09-01" in page.url  # the link still describes the view
    # the selection follows to another page
    page.get_by_role("link", name="Glossary").click()
    settle(page)
    assert "therapist=T05" in page.url
    page.close()


def test_a_garbled_link_shows_a_notice_not_a_traceback(app_url, browser):
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(f"{app_url}/?therapist=NOBODY&from=not-a-date&period=%3Cscript%3E", timeout=90000)
    settle(page)
    sidebar = page.locator('[data-testid="stSidebar"]').inner_text()
    assert "NOBODY" in sidebar and "not valid" in sidebar
    assert page.locator('[data-testid="stException"]').count() == 0
    assert metric(page, "Sessions held")  # the default view is shown
    page.close()


def test_the_meeting_report_downloads_and_renders_offline(app_url, browser, tmp_path):
    page = browser.new_page(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
    page.goto(f"{app_url}/report?period=4w&team=Haddad%20team", timeout=90000)
    settle(page)
    with page.expect_download(timeout=90000) as info:
        page.get_by_role("button", name="Download the meeting report").click()
    saved = tmp_path / info.value.suggested_filename
    info.value.save_as(saved)
    assert saved.name.startswith("attune-meeting-report-") and saved.suffix == ".html"
    page.close()

    offline = browser.new_context(offline=True, viewport={"width": 820, "height": 1100})
    fetched = []
    offline.route("**/*", lambda route: (fetched.append(route.request.url), route.continue_()))
    report = offline.new_page()
    report.goto(saved.as_uri())
    report.wait_for_selector(".chart .main-svg", timeout=30000)
    assert report.locator(".chart .js-plotly-plot").count() == 2  # both charts drawn without a network
    assert "Team: Haddad team" in report.inner_text("header")
    assert [u for u in fetched if not u.startswith("file:")] == []
    report.emulate_media(media="print")
    pdf = report.pdf(format="A4")
    assert pdf.startswith(b"%PDF")
    shots = os.environ.get("ATTUNE_SHOTS")
    if shots:  # for a person to look at: ATTUNE_SHOTS=/tmp/dir pytest -m browser
        Path(shots).mkdir(parents=True, exist_ok=True)
        report.screenshot(path=str(Path(shots) / "report-print.png"), full_page=True)
        (Path(shots) / "report.pdf").write_bytes(pdf)
    offline.close()
