"""In a real Chromium: a shared link opens the filtered view, and the meeting report downloads and renders offline."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

import pytest

from tests.support.browser import metrics, open_page, wait_for_app
from tests.test_overview import expected_numbers

pytestmark = pytest.mark.browser


def test_a_filtered_link_shows_the_filtered_numbers(served_app, page):
    open_page(page, served_app.url("Overview", "period=custom&from=2026-09-01&to=2026-10-31&therapist=T05"))
    assert page.locator('[data-testid="stException"]').count() == 0
    want = expected_numbers(served_app.exports, date(2026, 9, 1), date(2026, 10, 31), ("T05",))
    everyone = expected_numbers(served_app.exports, date(2026, 9, 1), date(2026, 10, 31))
    assert metrics(page, at_least=8)["Sessions held"] == f"{want['held']:,}" != f"{everyone['held']:,}"
    assert "therapist=T05" in page.url and "from=2026-09-01" in page.url  # the link still describes the view
    # the selection follows to another page
    page.get_by_role("link", name="Glossary").click()
    page.wait_for_url("**/glossary**")
    wait_for_app(page)
    assert "therapist=T05" in page.url


def test_a_garbled_link_shows_a_notice_not_a_traceback(served_app, page):
    open_page(page, served_app.url("Overview", "therapist=NOBODY&from=not-a-date&period=%3Cscript%3E"))
    sidebar = page.locator('[data-testid="stSidebar"]').inner_text()
    assert "NOBODY" in sidebar and "not valid" in sidebar
    assert page.locator('[data-testid="stException"]').count() == 0
    assert metrics(page, at_least=8)["Sessions held"]  # the default view is shown


def test_the_meeting_report_downloads_and_renders_offline(served_app, page, browser, tmp_path):
    open_page(page, served_app.url("Meeting report", "period=4w&team=Haddad%20team"))
    with page.expect_download(timeout=90000) as info:
        page.get_by_role("button", name="Download the meeting report").click()
    saved = tmp_path / info.value.suggested_filename
    info.value.save_as(saved)
    assert saved.name.startswith("attune-meeting-report-") and saved.suffix == ".html"

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
