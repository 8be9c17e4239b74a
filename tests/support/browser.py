"""Driving the app in Chromium: wait for a run to finish, open a page, read what it shows."""

from __future__ import annotations

APP_READY = '[data-testid="stApp"][data-test-script-state="notRunning"][data-test-connection-state="CONNECTED"]'
# Installed in every page (context.add_init_script): when the DOM last changed. On a busy machine the browser
# can still be drawing the elements of a run the server has already finished.
WATCH_MUTATIONS = """
window.__attuneChanged = performance.now();
new MutationObserver(() => { window.__attuneChanged = performance.now(); })
    .observe(document, {subtree: true, childList: true, attributes: true, characterData: true});
"""
SETTLED = """quiet => {
    const app = document.querySelector('[data-testid="stApp"]');
    return app && app.getAttribute('data-test-script-state') === 'notRunning'
        && app.getAttribute('data-test-connection-state') === 'CONNECTED'
        && performance.now() - (window.__attuneChanged || 0) > quiet;
}"""


def wait_for_app(tab, timeout: float = 90, quiet_ms: int = 500) -> None:
    """Wait until the app's script has finished (state notRunning) and the page has stopped changing."""
    tab.wait_for_selector(APP_READY, timeout=timeout * 1000)
    tab.wait_for_function(SETTLED, arg=quiet_ms, timeout=timeout * 1000, polling=100)


def open_page(tab, url: str) -> None:
    tab.goto(url)
    wait_for_app(tab)


def wait_for_elements(tab, testid: str, at_least: int, timeout: float = 60) -> None:
    """Wait until the page shows `at_least` elements with this data-testid (the browser may lag the server)."""
    tab.wait_for_function("([id, n]) => document.querySelectorAll(`[data-testid='${id}']`).length >= n",
                          arg=[testid, at_least], timeout=timeout * 1000, polling=100)


def metrics(tab, at_least: int = 0) -> dict[str, str]:
    """The st.metric cards on the page (after waiting for `at_least` of them): label -> value as shown."""
    if at_least:
        wait_for_elements(tab, "stMetric", at_least)
    cards = tab.locator('[data-testid="stMetric"]')
    return {cards.nth(i).locator('[data-testid="stMetricLabel"]').inner_text().strip():
            cards.nth(i).locator('[data-testid="stMetricValue"]').inner_text().strip()
            for i in range(cards.count())}


# An array arrives as a list, or (numpy data) as a typed array {dtype, bdata: base64}, which Plotly.js decodes.
CHART_TRACES = """() => [...document.querySelectorAll('[data-testid="stMain"] [data-testid="stPlotlyChart"]')]
  .map(chart => {
    const plot = chart.querySelector('.js-plotly-plot');
    if (!plot || !plot.data) return -1;
    const filled = v => v && (v.length > 0 || (typeof v.bdata === 'string' && v.bdata.length > 0));
    return plot.data.filter(t => ['x', 'y', 'z', 'values', 'r'].some(k => filled(t[k]))).length;
})"""


def chart_traces(tab, timeout: float = 60) -> list[int]:
    """For each Plotly chart in the page body, how many traces with data it drew (after it has drawn)."""
    tab.wait_for_function(f"() => ({CHART_TRACES})().every(n => n >= 0)", timeout=timeout * 1000, polling=200)
    return tab.evaluate(CHART_TRACES)
