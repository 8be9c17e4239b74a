"""The weekly meeting report: its numbers, a self-contained printable file, the CLI and the page."""

import io
import re
from dataclasses import replace
from datetime import date
from pathlib import Path
from types import SimpleNamespace

import openpyxl
import polars as pl
import pytest

from attune import charts, cli, db, overview, report
from attune.filters import Filters
from attune.suppression import MARK, suppress
from tests.conftest import app_test

PERIOD = Filters(date(2026, 11, 1), date(2026, 11, 30))


def add_session(con, sid, client, therapist, day, status="attended", srs=None):
    con.execute("INSERT INTO sessions VALUES ($s, $c, $t, $d, $st, 1, 'North', 'Adult', 1, 2, 0, client_key($c))",
                {"s": sid, "c": client, "t": therapist, "d": f"{day} 10:00", "st": status})
    if srs is not None:
        con.execute("INSERT INTO feedback (feedback_key, session_id, srs_total, batch_id, source_line, row_hash) "
                    "VALUES ($s, $s, $v, 1, 2, 0)", {"s": sid, "v": srs})


@pytest.fixture
def small_clinic(con):
    con.execute("INSERT INTO therapists VALUES ('T1', 'Ann', 'Blue team', 'North', true, 1, 2, 0), "
                "('T2', 'Bo', 'Red team', 'North', true, 1, 3, 0)")
    # T1: client A rated 30 and 34, client B 38, client C 36 and 36 (computed by hand below)
    for sid, client, day, srs in [("1", "A", "2026-11-02", 30), ("2", "A", "2026-11-09", 34),
                                  ("3", "B", "2026-11-03", 38), ("4", "C", "2026-11-04", 36),
                                  ("5", "C", "2026-11-11", 36)]:
        add_session(con, sid, client, "T1", day, srs=srs)
    add_session(con, "6", "D", "T2", "2026-11-05", srs=39)
    add_session(con, "7", "D", "T2", "2026-10-05", srs=20)  # outside the period
    con.execute("INSERT INTO switch_requests VALUES "
                "('R1', 'A', 'T1', NULL, '2026-11-10', 'Wants <b>someone</b> & a change', 'open', 1, 2, 0), "
                "('R2', 'D', 'T2', 'T1', '2026-11-12', 'Times', 'completed', 1, 3, 0), "
                "('R3', 'B', 'T1', 'T2', '2026-12-05', 'Later', 'open', 1, 4, 0)")
    db.bump_data_version(con)  # written past the importer: refresh the derived tables as an import does
    return con


def test_therapist_means_with_a_client_clustered_interval(small_clinic):
    frame = report.therapist_srs(small_clinic, PERIOD)
    t1 = frame.filter(pl.col("therapist_id") == "T1").row(0, named=True)
    # 5 ratings, sum 174: mean 34.8. Client residuals (sum - mean * n): -5.6, 3.2, 2.4; squares 47.36.
    # Variance 47.36 / 5^2 * 3 / 2 = 2.8416, standard error 1.68571; t(0.975, 2 df) = 4.30265.
    assert (t1["rated"], t1["clients"], t1["below_cutoff"]) == (5, 3, 2)
    assert t1["mean_srs"] == pytest.approx(34.8)
    assert t1["std_err"] == pytest.approx(1.68571, abs=1e-4)
    assert t1["low"] == pytest.approx(34.8 - 4.30265 * 1.68571, abs=1e-3)
    assert t1["high"] == 40.0  # 42.05 capped at the top of the scale
    t2 = frame.filter(pl.col("therapist_id") == "T2").row(0, named=True)
    assert (t2["rated"], t2["mean_srs"], t2["std_err"], t2["low"]) == (1, 39.0, None, None)  # one client: no interval
    assert frame["therapist_id"].to_list() == ["T1", "T2"]  # lowest first


def test_open_switch_requests_at_the_end_of_the_period(small_clinic):
    frame = report.open_switches(small_clinic, PERIOD)
    assert frame["request_id"].to_list() == ["R1"]  # R2 completed, R3 made after the period
    assert frame["days_open"].to_list() == [20]
    scoped = Filters(PERIOD.start, PERIOD.end, supervisors=("Red team",))
    assert report.open_switches(small_clinic, scoped).is_empty()
    shown = report.switches_table(SimpleNamespace(switches=frame))
    assert shown.select("Therapist", "Preferred therapist").row(0) == ("Ann (T1)", "not chosen yet")
    with_choice = report.switches_table(SimpleNamespace(switches=frame.with_columns(
        to_therapist_id=pl.lit("T2"), to_therapist=pl.lit("Bo"))))
    assert with_choice["Preferred therapist"][0] == "Bo (T2)"


def test_report_html_is_self_contained_printable_and_escaped(small_clinic):
    data = report.gather(small_clinic, Filters(PERIOD.start, PERIOD.end, supervisors=("Blue team",)))
    page = report.render(data)
    assert "Team: Blue team" in page and "2026-11-01 to 2026-11-30" in page
    assert "@page" in page and "break-inside: avoid" in page
    markup = re.sub(r"<script[^>]*>.*?</script>", "", page, flags=re.S)  # plotly.js itself is inlined
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", markup)  # nothing fetched from a network
    assert "<link" not in markup and "<script src" not in page and "Plotly.newPlot" in page
    assert "Wants &lt;b&gt;someone&lt;/b&gt; &amp; a change" in page and "<b>someone</b>" not in page
    assert "Relationships that need attention" in page
    cards = {c.label: c for c in overview.headlines(small_clinic, data.filters)}
    assert f'<div class="value">{cards["Mean SRS"].display}</div>' in page  # 34.8
    assert cards["Mean SRS"].display == "34.8"
    assert "size: A4" in report.render(data, paper="a4") and "size: letter" in report.render(data, paper="letter")


def test_a_network_chart_draws_the_therapists_standing_out(small_clinic):
    data = report.gather(small_clinic, PERIOD)
    drawn = report.charted_therapists(data)
    assert drawn.equals(data.therapists)  # a clinic: every therapist
    assert report.therapists_chart_note(data, drawn).startswith(f"All {data.therapists.height} therapists")
    n = 100  # a network: one row per therapist would draw a chart thousands of pixels tall
    means = [30.0 + i * 0.08 for i in range(n)]
    network = pl.DataFrame({"therapist_id": [f"T{i:03d}" for i in range(n)],
                            "therapist_name": [f"Therapist {i % 20:03d}" for i in range(n)], "supervisor": "Blue team",
                            "mean_srs": means, "low": [m - 1 for m in means], "high": [m + 1 for m in means],
                            "clients": 20, "rated": 60, "below_cutoff": 10})
    data = replace(data, therapists=network)
    drawn = report.charted_therapists(data)
    assert drawn.height == 40 and set(drawn.columns) == set(network.columns)
    assert {"T000", "T099"} <= set(drawn["therapist_id"])
    assert "T050" not in set(drawn["therapist_id"])  # in the middle of the pack
    rows = list(charts.therapist_srs(drawn, 35.0).data[0].y)  # two therapists share each name: not their row
    assert len(set(rows)) == drawn.height and "Therapist 000 (T000)" in rows and "Therapist 000 (T080)" in rows
    assert "the 40 of 100 therapists whose intervals lie furthest" in report.therapists_chart_note(data, drawn)
    assert "the 40 of 100 therapists" in report.render(data)


def test_attention_section_lists_the_planted_cases_by_therapist(demo_db, demo_manifest):
    from attune import db

    con = db.connect(demo_db)
    filters = Filters(date(2026, 10, 24), date(2026, 11, 20))
    section = report.attention_section(con, filters)
    assert section.client_level
    for case in demo_manifest["sharp_drop"] + demo_manifest["repeated_no_shows"]:
        assert f"<b>{case['client_id']}</b>" in section.html
    noshow = demo_manifest["repeated_no_shows"][0]["client_id"]
    line = next(li for li in section.html.split("<li>") if noshow in li)
    assert "no-show" in line.lower() or "missed" in line.lower()
    data = report.gather(con, filters)
    assert f"<b>{noshow}</b>" in report.render(data)
    without_rows = report.render(data, client_rows=False)
    assert noshow not in without_rows and "Client-level rows are left out for your role" in without_rows


def test_a_long_attention_list_is_cut_to_its_most_urgent_relationships(demo_db):
    from attune import attention, db, settings

    con = db.connect(demo_db)
    filters = Filters(date(2026, 10, 24), date(2026, 11, 20))
    flagged = attention.weekly_list(con, filters.end, settings.load(con), filters)
    assert flagged.height > 3
    section = report.attention_section(con, filters, limit=3)
    listed = [li.split("</b>")[0].removeprefix("<b>") for li in section.html.split("<li>")[1:]]
    assert sorted(listed) == sorted(flagged.sort("rank").head(3)["client_id"].to_list())
    assert f"{flagged.height:,} relationships flagged" in section.note
    assert "The 3 most urgent are listed here" in section.note
    whole = report.attention_section(con, filters, limit=flagged.height)
    assert whole.html.count("<li>") == flagged.height and "most urgent are listed" not in whole.note


def test_cli_writes_the_report_for_a_team(demo_db, tmp_path, capsys):
    out = tmp_path / "meeting.html"
    assert cli.main(["report", "--db", str(demo_db), "--as-of", "2026-11-20", "--team", "haddad team",
                     "--out", str(out)]) == 0
    page = out.read_text(encoding="utf-8")
    assert "Team: Haddad team" in page and "2026-10-24 to 2026-11-20" in page
    assert cli.main(["report", "--db", str(demo_db), "--team", "Nobody", "--out", str(out)]) == 2
    assert "Teams in the data: Haddad team" in capsys.readouterr().err


@pytest.mark.browser
@pytest.mark.skipif(not report.chromium_available(), reason="chromium is not installed")
def test_cli_prints_a_pdf(demo_db, tmp_path):
    pdf = tmp_path / "meeting.pdf"
    assert cli.main(["report", "--db", str(demo_db), "--out", str(tmp_path / "m.html"), "--pdf", str(pdf)]) == 0
    head = pdf.read_bytes()
    assert head.startswith(b"%PDF") and head.count(b"/Type /Page") >= 2


# ------------------------------------------------------------------------------------------ the page


@pytest.fixture
def media_managers(monkeypatch):
    """Record the media file managers AppTest creates, to read what a download button would serve.

    A spy, not a mock: the real MediaFileManager does the work; this only keeps a reference to it.
    """
    import streamlit.testing.v1.app_test as app_test_module
    from streamlit.runtime.media_file_manager import MediaFileManager

    made = []

    class Recording(MediaFileManager):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            made.append(self)

    monkeypatch.setattr(app_test_module, "MediaFileManager", Recording)
    return made


def downloaded(at, made, key: str) -> bytes:
    """The bytes the download button with `key` serves when clicked (its deferred callable run by Streamlit)."""
    button = next(b for b in at.get("download_button") if b.proto.id.endswith(key))
    manager = made[-1]
    url = manager.execute_deferred(button.proto.deferred_file_id)
    return manager._storage.get_file(Path(url).name).content


def csv_frame(data: bytes) -> pl.DataFrame:
    return pl.read_csv(io.BytesIO(data), comment_prefix="#", infer_schema=False)


def shown(at, column: str) -> pl.DataFrame:
    """The table on the page that has `column`, every cell as text (as a CSV reader sees it)."""
    table = next(d.value for d in at.dataframe if column in d.value.columns)
    return pl.from_pandas(table).select(pl.all().cast(pl.Utf8))


def test_exported_csv_and_excel_equal_the_table_shown(demo_db, media_managers):
    at = app_test("pages/report.py")
    assert not at.exception
    # row-level table (open switch requests): the export is the table, cell for cell
    table = shown(at, "Reason the client gave")
    assert table.height >= 1
    assert csv_frame(downloaded(at, media_managers, "report_switches_csv")).equals(table)
    book = openpyxl.load_workbook(io.BytesIO(downloaded(at, media_managers, "report_switches_xlsx")))
    rows = list(book.active.iter_rows(values_only=True))
    body = rows[rows.index(tuple(table.columns)) + 1:]
    assert [tuple(str(v.date()) if hasattr(v, "date") else str(v) for v in row) for row in body] == table.rows()
    # aggregate table (lowest mean SRS): the same cells, except those the privacy rule hides
    table = shown(at, "Mean SRS")
    exported = csv_frame(downloaded(at, media_managers, "report_lowest_csv"))
    hidden = suppress(table.with_columns(pl.col("Clients").cast(pl.Int64))).hidden
    assert exported.columns == table.columns and exported.height == table.height
    for column in table.columns:
        for cell, want, masked in zip(exported[column], table[column], hidden[column], strict=True):
            assert cell == (MARK if masked else want), (column, cell, want)


def test_small_team_export_hides_small_counts(demo_db, media_managers):
    from streamlit.testing.v1 import AppTest

    from tests.conftest import ROOT

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=30)
    at.query_params.update({"period": "4w", "team": "Haddad team"})
    at.switch_page("pages/report.py").run()
    assert not at.exception
    table = shown(at, "Mean SRS")
    assert (table["Clients"].cast(pl.Int64) < 10).any()  # the 4-week view of one team has small caseloads
    exported = csv_frame(downloaded(at, media_managers, "report_lowest_csv"))
    for cell, clients in zip(exported["Clients"], table["Clients"].cast(pl.Int64), strict=True):
        if clients < 10:
            assert cell == MARK


def test_report_page_offers_the_download(demo_db, media_managers):
    at = app_test("pages/report.py")
    assert not at.exception
    page = downloaded(at, media_managers, "report_download").decode("utf-8")
    assert page.startswith("<!DOCTYPE html>") and "Weekly meeting report" in page
    filters: Filters = at.session_state["filters"]
    assert f"{filters.start} to {filters.end}" in page
    assert len(at.get("plotly_chart")) == 2


def test_report_page_shows_the_attention_list_it_prints(demo_db, demo_manifest):
    at = app_test("pages/report.py")
    assert not at.exception
    shown = " ".join(h.proto.body for h in at.get("html"))
    for case in demo_manifest["sharp_drop"] + demo_manifest["repeated_no_shows"]:
        assert f"<b>{case['client_id']}</b>" in shown


def test_report_page_leaves_the_list_out_for_a_role_without_client_rows(demo_db, demo_manifest):
    from tests.test_access import signed_in

    analyst = signed_in({"email": "an@clinic.org", "role": "analyst"}, "pages/report.py")
    assert not analyst.exception
    assert not any(demo_manifest["sharp_drop"][0]["client_id"] in h.proto.body for h in analyst.get("html"))
    assert "Client-level rows are left out for your role." in [c.value for c in analyst.caption]


def test_report_page_on_an_empty_database(empty_db):
    at = app_test("pages/report.py")
    assert not at.exception
    assert "No data loaded yet" in " ".join(i.value for i in at.info)
    assert not at.get("download_button")


def test_glossary_page_lists_definitions_and_sources(demo_db):
    at = app_test("pages/glossary.py")
    assert not at.exception
    text = " ".join(m.value for m in at.markdown) + " ".join(c.value for c in at.caption)
    for needle in ("No-show rate", "Dropout rate", "below 36", "ORS reliable change: 5 points", "19.7%",
                   "5–8%", "Minimum caseload: 15", "Swift & Greenberg", "Privacy threshold"):
        assert needle in text, needle


def test_every_query_used_here_has_a_header(con):
    for name in ("report_therapist_srs", "report_open_switches", "table_exists"):
        assert db.query_sql(name).startswith("--") and "Returns" in db.query_sql(name)


def test_therapists_who_share_a_name_keep_their_own_lists_in_the_report():
    listed = pl.DataFrame({"therapist_id": ["T1", "T1", "T3"], "therapist_name": ["Ann Lee"] * 3,
                           "client_id": ["A", "B", "C"],
                           "reasons": [["Low SRS."], ["Missed."], ["Rupture <1>.", "Asked."]]})
    html = report.attention_html(listed)
    assert html.count("<h3>") == 2
    assert "<h3>Ann Lee (T1): 2</h3><ul><li><b>A</b>: Low SRS.</li><li><b>B</b>: Missed.</li></ul>" in html
    assert "<h3>Ann Lee (T3): 1</h3><ul><li><b>C</b>: Rupture &lt;1&gt;.  ·  Asked.</li></ul>" in html
