"""Rupture and repair and the clients' words in the app, on the demo clinic (planted cases) and an empty database."""

from __future__ import annotations

import json
import os
from datetime import date

import polars as pl
import pytest
from conftest import ROOT, app_test

from attune import attention, charts, cli, db, settings
from attune.filters import Filters

RUPTURES, COMMENTS, ATTENTION = "pages/ruptures.py", "pages/comments.py", "pages/attention.py"


def planted(manifest: dict, role: str) -> tuple[str, str]:
    case = manifest[role][0]
    return case["client_id"], case["therapist_id"]


def drill_down(client: str):
    from streamlit.testing.v1 import AppTest

    os.chdir(ROOT)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=30)
    at.query_params["client"] = client
    at.run()
    at.switch_page(ATTENTION).run()
    assert not at.exception
    assert at.selectbox(key="attention_client").value == client
    return at


def decoded(value):
    """A trace array as plotly sends it to the browser: a list, or a typed array {dtype, bdata (base64)}."""
    import base64

    import numpy as np

    if isinstance(value, dict) and "bdata" in value:
        return np.frombuffer(base64.b64decode(value["bdata"]), dtype=value["dtype"]).tolist()
    return value


def timeline_traces(at) -> dict[str, dict]:
    """The client timeline's named traces, with their y values decoded."""
    spec = json.loads(at.get("plotly_chart")[0].proto.spec)
    return {t["name"]: {**t, "y": decoded(t.get("y"))} for t in spec["data"] if t.get("name")}


def test_planted_ruptures_on_the_attention_list(demo_db, demo_manifest):
    at = app_test(ATTENTION)
    assert not at.exception
    table = at.dataframe[0].value
    why = dict(zip(table["Client"], table["Why"], strict=True))
    unrepaired, _ = planted(demo_manifest, "rupture_unrepaired")
    assert "Rupture on 2026-11-04: SRS 38.2 → 31.5, not repaired in the 2 ratings since (latest 31.8)." in why[
        unrepaired]
    repaired, _ = planted(demo_manifest, "rupture_repaired")
    assert "Rupture" not in why.get(repaired, "")  # repaired: nothing to flag


def test_planted_ruptures_on_the_client_timeline(demo_db, demo_manifest):
    repaired, _ = planted(demo_manifest, "rupture_repaired")
    at = drill_down(repaired)
    traces = timeline_traces(at)
    assert traces["Rupture, repaired"]["y"] == [32.0]
    assert traces["Repair"]["y"] == [37.6]
    assert "Rupture, not repaired" not in traces
    ruptures_text = next(m.value for m in at.markdown if m.value.startswith("**Ruptures**"))
    assert "SRS 38.0 → 32.0, repaired on 2026-11-11 (37.6, 1 rated session later)." in ruptures_text
    words = next(d.value for d in at.dataframe if "In the client's words" in d.value.columns)
    by_text = dict(zip(words["In the client's words"], words["Themes"], strict=True))
    assert by_text["I felt rushed today and not really listened to"] == "Not feeling heard, Feeling pressured or rushed"
    assert by_text["Glad we talked about last week, I felt heard"] == ""  # "felt heard" is not "not heard"

    unrepaired, _ = planted(demo_manifest, "rupture_unrepaired")
    at = drill_down(unrepaired)
    traces = timeline_traces(at)
    assert traces["Rupture, not repaired"]["y"] == [31.5]
    assert traces["Rupture, not repaired"]["marker"]["color"] == "#D55E00"
    assert "Repair" not in traces
    assert any("Rupture on 2026-11-04" in m.value for m in at.markdown)


def test_planted_ruptures_in_the_therapist_view(demo_db, demo_manifest):
    at = app_test(RUPTURES)
    assert not at.exception
    per = at.dataframe[0].value
    rows = {t.split("(")[-1].rstrip(")"): r for t, r in zip(per["Therapist"], per.to_dict("records"), strict=True)}
    for role, column in (("rupture_repaired", "Repaired"), ("rupture_unrepaired", "Not repaired")):
        _, therapist = planted(demo_manifest, role)
        assert rows[therapist][column] >= 1
    tiny = demo_manifest["tiny_caseload_therapist"]
    assert rows[tiny]["Note"] == "fewer than 15 clients: too few to compare"
    events = at.dataframe[1].value
    outcome = {link.split("=")[-1]: o for link, o in zip(events["Client"], events["Outcome"], strict=True)}
    assert outcome[planted(demo_manifest, "rupture_repaired")[0]] == "repaired"
    assert outcome[planted(demo_manifest, "rupture_unrepaired")[0]] == "not repaired"
    assert [m.label for m in at.metric] == ["Ruptures noticed", "Repaired", "Still open", "Median sessions to repair"]
    repaired = at.metric[1]  # the card shows the share alone (it fits the card); the help gives n of N
    assert repaired.value.endswith("%") and " of " in repaired.help
    assert len(at.get("plotly_chart")) == 1


def test_overview_shows_the_repair_rate(demo_db):
    at = app_test()
    assert not at.exception
    assert any(s.value == "Rupture and repair" for s in at.subheader)
    assert "overview_repair" in [c.key for c in at.get("plotly_chart")]
    assert any("ruptures with a known outcome in the period" in c.value for c in at.caption)


def test_repair_periods_still_open_are_marked_not_settled(demo_db):
    from attune import ruptures

    con = db.connect(demo_db)
    as_of = attention.latest_day(con)
    periods = ruptures.over_time(con, Filters(date(2026, 5, 1), as_of), settings.load(con), as_of)
    con.close()
    assert periods["settled"].to_list() == (periods["open"] <= 0.2 * periods["ruptures"]).to_list()
    last = periods.row(-1, named=True)  # the newest month: most of its ruptures still open
    assert not last["settled"] and last["open"] > 0.2 * last["ruptures"]
    assert periods["settled"].sum() >= 3
    note = ruptures.unsettled_note(periods)
    assert note.startswith(f" Hollow grey points ({(~periods['settled']).sum()} month")


def test_comments_page_counts_themes_and_opens_the_comments(demo_db, demo_manifest):
    at = app_test(COMMENTS)
    assert not at.exception
    counts = at.dataframe[0].value
    assert counts["With a theme"].sum() > 0 and "Not feeling heard" in counts.columns
    at.button_group(key="comments_theme").set_value("judged").run()
    shown = at.dataframe[1].value
    assert len(shown) > 0 and set(shown["Themes"].str.contains("Feeling judged")) == {True}
    assert "I didn't feel judged at all, thank you" not in set(shown["In the client's words"])
    unrepaired, therapist = planted(demo_manifest, "rupture_unrepaired")
    assert unrepaired in set(shown["Client"])


def test_editing_the_keyword_list_changes_the_counts(demo_db):
    at = app_test(COMMENTS)
    before = int(at.dataframe[0].value["Feeling judged"].sum())
    editor = at.dataframe[-1]  # the keyword editor is the last table
    assert "phrase" in editor.value.columns
    import polars as pl

    from attune import access, db, themes

    con = db.connect(demo_db)
    keep = themes.default_keywords().filter(pl.col("phrase") != "judg*")
    themes.save_keywords(con, keep, updated_by="test")
    con.close()
    at.run()
    after = int(at.dataframe[0].value["Feeling judged"].sum())
    assert after < before
    assert "judg*" not in set(at.dataframe[-1].value["phrase"])  # the editor shows the stored list

    at.button(key="comments_restore").click().run()
    assert not at.exception
    assert any(s.value == "Restored the default keyword lists." for s in at.success)
    assert int(at.dataframe[0].value["Feeling judged"].sum()) == before
    at.button(key="comments_save").click().run()  # saving the defaults as they are stores nothing
    assert any(s.value.startswith("Saved the keyword lists (") for s in at.success)
    con = db.connect(demo_db)
    assert con.sql("SELECT count(*) FROM settings WHERE key = 'comment_themes'").fetchall() == [(0,)]
    assert len(access.audit_events(con, "settings")) == 2
    con.close()


def test_analyst_sees_counts_but_no_comments(demo_db):
    from tests.test_access import signed_in

    at = signed_in({"email": "an@clinic.org", "role": "analyst"}, COMMENTS)
    assert not at.exception
    assert any("does not include client comments" in w.value for w in at.warning)
    assert all("In the client's words" not in d.value.columns for d in at.dataframe)
    assert at.button(key="comments_save").disabled
    ruptures_page = signed_in({"email": "an@clinic.org", "role": "analyst"}, RUPTURES)
    assert not ruptures_page.exception
    assert len(ruptures_page.dataframe) == 1  # the per-therapist table, not the row-level ruptures


@pytest.mark.parametrize("page", [RUPTURES, COMMENTS])
def test_pages_on_an_empty_database(empty_db, page):
    at = app_test(page)
    assert not at.exception
    assert any("No data loaded yet" in i.value for i in at.info)


def test_cli_flags_json_has_rupture_dates_and_scores(demo_db, demo_manifest, capsys):
    assert cli.main(["flags", "--db", str(demo_db), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    by_client = {r["client_id"]: r for r in report["relationships"]}
    unrepaired, therapist = planted(demo_manifest, "rupture_unrepaired")
    record = by_client[unrepaired]
    flag = next(f for f in record["flags"] if f["kind"] == "rupture")
    assert flag["flagged_on"] == "2026-11-04" and flag["severity"] == 3
    assert "38.2 → 31.5" in flag["reason"]
    assert record["ruptures"] == [{"rupture_on": "2026-11-04", "srs_before": 38.2, "srs_at_rupture": 31.5,
                                   "status": "unrepaired", "stopped_attending": False, "ratings_since": 2,
                                   "repaired_on": None, "srs_at_repair": None}]
    assert record["therapist_id"] == therapist


def test_therapists_who_share_a_name_get_a_row_each():
    per = pl.DataFrame({"therapist_id": ["T1", "T2", "T3"],
                        "therapist_name": ["Nadia Silva", "Nadia Silva", "Omar Iyer"],
                        "share_repaired": [0.5, 0.9, 0.7], "low": [0.3, 0.7, 0.5], "high": [0.7, 0.97, 0.85],
                        "repaired": [5, 9, 7], "resolved": [10, 10, 10], "clients": [20, 20, 20]})
    rows = list(charts.repair_by_therapist(per, 0.7).data[0].y)
    assert sorted(rows) == ["Nadia Silva (T1)", "Nadia Silva (T2)", "Omar Iyer (T3)"]
