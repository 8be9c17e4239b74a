"""What only a browser shows: downloading an export, uploading a file, marking an attention item discussed.

Each flow runs as soon as its page is registered in app.py (the Data page with its file uploader, the
Needs attention page); until then it is skipped with the reason. These run after the page tests: they
change the served database (two switch requests, one review note), which no page test depends on.
"""

from __future__ import annotations

import re

import pytest

from tests.support.browser import metrics, open_page, wait_for_app
from tests.support.pages import has_page, registered_pages

pytestmark = pytest.mark.browser


def test_download_an_export_from_a_table(served_app, page, tmp_path):
    """The first page (in menu order) with a table offers it as CSV, with the filters in name and header."""
    for registered in registered_pages():
        open_page(page, served_app.url(registered.title, "period=all"))
        buttons = page.locator('[data-testid="stDownloadButton"] button').filter(has_text="CSV")
        if buttons.count():
            break
    else:
        pytest.skip("no registered page shows a table with a CSV download button yet")
    with page.expect_download() as download:
        buttons.first.click()
    saved = tmp_path / download.value.suggested_filename
    download.value.save_as(saved)
    assert re.fullmatch(r"attune-[A-Za-z0-9-]+\.csv", saved.name), saved.name
    lines = saved.read_text(encoding="utf-8").splitlines()
    assert lines[0].startswith("# Attune export"), lines[0]
    assert any(line.startswith("# filters:") for line in lines), "the filters are not written in the file"
    table = [line for line in lines if not line.startswith("#")]
    assert table and "," in table[0], "the export has no header row"
    wait_for_app(page)  # the click also records the download in the audit trail: no error from that either
    assert page.locator('[data-testid="stException"]').count() == 0


SWITCH_REQUESTS = """request_id,client_id,from_therapist_id,to_therapist_id,requested_at,reason,status
BR-1,CBROWSER1,T01,T02,2026-10-01,Would prefer evening sessions,open
BR-2,CBROWSER2,T02,T03,2026-10-02,"=HYPERLINK(""http://example.invalid"") is just text here",open
"""


@pytest.mark.skipif(not has_page("pages/data.py"), reason="the Data page (pages/data.py) is not in app.py yet")
def test_upload_a_file_and_see_the_import_summary(served_app, page, tmp_path):
    upload = tmp_path / "switch_requests_browser.csv"
    upload.write_text(SWITCH_REQUESTS)
    open_page(page, served_app.url("Overview", "period=all"))
    before = int(metrics(page, at_least=8)["Switch requests made"].replace(",", ""))
    open_page(page, served_app.url("Data"))
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(str(upload))
    wait_for_app(page)
    page.get_by_role("button", name=re.compile(r"^Import \d+ file")).click()
    page.get_by_text(re.compile(r"imported as batch \d+")).wait_for()
    wait_for_app(page)
    assert page.locator('[data-testid="stException"]').count() == 0
    summary = page.get_by_text(re.compile(r"imported as batch \d+")).first.inner_text()
    assert "2 new" in summary, summary
    open_page(page, served_app.url("Overview", "period=all"))
    assert int(metrics(page, at_least=8)["Switch requests made"].replace(",", "")) == before + 2


@pytest.mark.skipif(not has_page("pages/attention.py"),
                    reason="the Needs attention page (pages/attention.py) is not in app.py yet")
def test_mark_an_attention_item_discussed(served_app, page):
    title = next(p.title for p in registered_pages() if p.path == "pages/attention.py")
    open_page(page, served_app.url(title))
    counts = re.compile(r"([\d,]+) already discussed")
    discussed = int(counts.search(page.inner_text("body")).group(1).replace(",", ""))
    form = page.locator('[data-testid="stForm"]').filter(has_text="Mark as discussed")
    form.get_by_label("Note").fill("Talked it through in supervision (browser test)")
    form.get_by_role("button", name="Mark as discussed").click()
    page.get_by_text(re.compile(r"Marked .+ as discussed")).wait_for()
    wait_for_app(page)
    assert page.locator('[data-testid="stException"]').count() == 0
    open_page(page, served_app.url(title))  # the review is stored, not only shown
    assert int(counts.search(page.inner_text("body")).group(1).replace(",", "")) == discussed + 1
