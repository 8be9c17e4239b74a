"""Every text box on every page takes hostile text: it is handled (stored as text or refused with a message),
never an exception, and the database stays whole. Pages come from app.py, so a new page is covered too.
"""

from __future__ import annotations

import re

import pytest

from attune import db, integrity
from tests.conftest import ROOT, app_test
from tests.support.hostile import HOSTILE_LINK
from tests.support.pages import registered_pages

HOSTILE_TEXT = [
    "'; DROP TABLE sessions; --", "Robert'); DELETE FROM reviews; --", '=HYPERLINK("http://attacker.invalid")',
    "![x](http://attacker.invalid/pixel.png)", "<script>alert(1)</script>", "$start_date ? %s {}", "\x07\x1b[31m",
    "A" * 100_000, "😀" * 2_000, "-1e309", "  ", "null",
]
# An image, a link or an HTML tag from the link, not preceded by the backslash that makes Markdown show it as text.
UNESCAPED_MARKUP = re.compile(r"(?<!\\)!(?<!\\)\[x|(?<!\\)\]\((?:http|javascript)|(?<!\\)<img")
ROUNDS = 3  # each text box gets ROUNDS different hostile values, submitted with its form
REGISTERED = registered_pages()


def _fill_and_submit(at, round_number: int) -> int:
    boxes = list(at.text_input) + list(at.text_area)
    for i, box in enumerate(boxes):
        box.input(HOSTILE_TEXT[(round_number * 5 + i) % len(HOSTILE_TEXT)])
    submit = [b for b in at.button if b.proto.is_form_submitter]
    if submit:
        submit[0].click()
    at.run()
    return len(boxes)


@pytest.mark.parametrize("registered", REGISTERED, ids=[p.id for p in REGISTERED])
def test_every_text_box_takes_hostile_text(demo_db, registered):
    con = db.connect(demo_db)
    sessions_before = integrity.table_checksums(con)["sessions"]
    con.close()
    at = app_test(registered.path)
    assert not at.exception, at.exception
    for round_number in range(ROUNDS):
        if not _fill_and_submit(at, round_number):
            break
        assert not at.exception, (registered.title, round_number, at.exception)
    con = db.connect(demo_db)  # in this process: the same database instance the app used
    try:
        assert integrity.problems(con) == []
        assert integrity.table_checksums(con)["sessions"] == sessions_before
    finally:
        con.close()


@pytest.mark.parametrize("registered", REGISTERED, ids=[p.id for p in REGISTERED])
def test_every_page_takes_a_hostile_link(demo_db, registered):
    """The link's values reach the page only as plain text: markdown, script and SQL in it do nothing."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=30)
    at.query_params.update(HOSTILE_LINK)
    at.run()
    at.switch_page(registered.path)
    at.query_params.update(HOSTILE_LINK)
    at.run()
    assert not at.exception, at.exception
    shown = [m.value for m in [*at.markdown, *at.caption, *at.warning, *at.info, *at.error]]
    if any(w.key == "flt_preset" for w in at.selectbox):  # Data, Glossary and Admin have no filters to report on
        assert any("Unknown period" in text for text in shown), "the bad period was not reported"
    for text in shown:  # markdown would draw these as an image, a link or HTML: they must arrive escaped
        assert not UNESCAPED_MARKUP.search(text), text
    con = db.connect(demo_db)
    try:
        assert integrity.problems(con) == []
    finally:
        con.close()
