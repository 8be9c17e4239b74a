"""Every page in a real browser: no exception, key numbers and charts shown; filters drive the URL and numbers.

Pages come from app.py's PAGES list, so a page added there is covered without touching this file. For a
stronger check than "renders and shows content", add the page's key elements to KEY_CONTENT.
"""

from __future__ import annotations

import re
from datetime import date
from urllib.parse import urlencode, urlparse

import polars as pl
import pytest

from tests.support.browser import chart_traces, metrics, open_page, wait_for_app, wait_for_elements
from tests.support.hostile import HOSTILE_LINK
from tests.support.pages import registered_pages

pytestmark = pytest.mark.browser
REGISTERED = registered_pages()
# What a page must show with the demo clinic (at least this many of each element), by page title.
KEY_CONTENT = {
    "Overview": {"stMetric": 8, "stPlotlyChart": 1},
    "Admin": {"stDataFrame": 1, "stForm": 1},
    "Needs attention": {"stDataFrame": 1, "stPlotlyChart": 1},
    "Data": {"stFileUploader": 1, "stDataFrame": 1},
}
CONTENT = ["stMetric", "stPlotlyChart", "stDataFrame", "stTable", "stVegaLiteChart", "stFileUploader", "stForm",
           "stMarkdown"]
NUMBER = re.compile(r"\d|–|—")


def expected_overview(exports, therapist: str | None = None) -> dict[str, str]:
    """Sessions held and active clients over all the data, straight from the demo CSV."""
    sessions = pl.read_csv(exports / "sessions.csv", try_parse_dates=True)
    as_of = min(sessions["scheduled_at"].max().date(), date.today())
    held = sessions.filter((pl.col("status") == "attended") & (pl.col("scheduled_at").dt.date() <= as_of))
    if therapist:
        held = held.filter(pl.col("therapist_id") == therapist)
    return {"Sessions held": f"{held.height:,}", "Active clients": f"{held['client_id'].n_unique():,}"}


def test_every_registered_page_is_served(served_app):
    assert sorted(served_app.pages) == sorted(p.title for p in REGISTERED)


@pytest.mark.parametrize("registered", REGISTERED, ids=[p.id for p in REGISTERED])
def test_page_renders_with_its_numbers_and_charts(served_app, page, registered):
    open_page(page, served_app.url(registered.title, "period=all"))
    main = page.locator('[data-testid="stMain"]')
    exceptions = page.locator('[data-testid="stException"]')
    assert exceptions.count() == 0, exceptions.first.inner_text()
    errors = page.locator('[data-testid="stAlertContentError"]')
    assert errors.count() == 0, errors.first.inner_text()
    assert "Traceback" not in page.inner_text("body")
    assert main.locator("h1").count() >= 1, "the page has no title"
    for testid, least in KEY_CONTENT.get(registered.title, {}).items():
        wait_for_elements(page, testid, least)
    present = {testid: main.locator(f'[data-testid="{testid}"]').count() for testid in CONTENT}
    for testid, least in KEY_CONTENT.get(registered.title, {}).items():
        assert present[testid] >= least, f"{registered.title}: expected {least} {testid}, found {present[testid]}"
    assert sum(present.values()) > 0, f"{registered.title} shows nothing but its title"
    for label, value in metrics(page).items():
        assert NUMBER.search(value), f"{registered.title}: metric {label!r} shows {value!r}"
    for i, traces in enumerate(chart_traces(page)):
        assert traces > 0, f"{registered.title}: chart {i + 1} has no data"


def test_choosing_a_therapist_changes_the_link_and_the_numbers(served_app, page):
    open_page(page, served_app.url("Overview", "period=all"))
    everyone = metrics(page, at_least=8)["Sessions held"]
    box = page.locator('[data-testid="stSidebar"] [data-testid="stMultiSelect"]').filter(has_text="Therapists")
    box.locator("input").press_sequentially("T03")  # typing opens the list, filtered, wherever the box is
    page.get_by_role("option", name=re.compile(r"\(T03\)")).click()
    page.keyboard.press("Escape")
    page.wait_for_url(re.compile(r"therapist=T03"))
    want = expected_overview(served_app.exports, "T03")
    page.locator('[data-testid="stMetric"]').filter(has_text="Sessions held").filter(
        has_text=want["Sessions held"]).wait_for()
    wait_for_app(page)
    one = metrics(page, at_least=8)
    assert one["Sessions held"] == want["Sessions held"] != everyone
    assert one["Active clients"] == want["Active clients"]
    shared = page.context.new_page()  # the link reproduces the view for whoever opens it
    open_page(shared, page.url)
    assert metrics(shared, at_least=8)["Sessions held"] == want["Sessions held"]


# Every page gets the hostile link under AppTest (tests/reliability/test_hostile_inputs.py); in the browser,
# where fetched URLs, dialogs and links can be seen, make test covers the pages that read their own
# parameters and make soak covers the rest.
HOSTILE_IN_MAKE_TEST = {"overview", "attention", "therapists"}


@pytest.mark.parametrize("registered", [
    pytest.param(p, marks=() if p.id in HOSTILE_IN_MAKE_TEST else pytest.mark.soak) for p in REGISTERED],
    ids=[p.id for p in REGISTERED])
def test_a_hostile_link_is_shown_as_text_and_changes_nothing(served_app, page, registered):
    fetched, dialogs = [], []
    page.on("request", lambda request: fetched.append(request.url))
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    open_page(page, served_app.url(registered.title, urlencode(HOSTILE_LINK)))
    page.locator('[data-testid="stSidebar"]').get_by_text("Ignored unknown team").wait_for()
    assert page.locator('[data-testid="stException"]').count() == 0
    sidebar = page.locator('[data-testid="stSidebar"]').inner_text()
    assert "Unknown period '![x](http://attacker.invalid/pixel.png)'" in sidebar  # shown as the text it is
    assert "Ignored unknown therapist" in sidebar
    assert not [url for url in fetched if urlparse(url).hostname == "attacker.invalid"], "a link fetched a URL"
    assert not dialogs, "a link ran script"
    assert page.locator('a[href^="javascript"]').count() == 0


def test_overview_numbers_match_the_exports_after_the_hostile_links(served_app, page):
    """The numbers are the exports' own, so the hostile links above changed nothing."""
    open_page(page, served_app.url("Overview", "period=all"))
    shown = metrics(page, at_least=8)
    for label, value in expected_overview(served_app.exports).items():
        assert shown[label] == value, label
