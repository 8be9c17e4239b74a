"""The Needs attention and Settings pages on the demo clinic (and an empty database), and `attune flags`."""

from __future__ import annotations

import json
import os

import polars as pl
import pytest
from conftest import ROOT, app_test

from attune import access, attention, cli, db, ingest, settings

PAGE = "pages/attention.py"


def why_by_client(at) -> dict[str, str]:
    table = at.dataframe[0].value
    return dict(zip(table["Client"], table["Why"], strict=True))


def test_planted_cases_on_the_list_with_the_right_reasons(demo_db, demo_manifest):
    at = app_test(PAGE)
    assert not at.exception
    why = why_by_client(at)
    for case in demo_manifest["sharp_drop"]:
        assert "SRS fell" in why[case["client_id"]] and "from the previous rating" in why[case["client_id"]]
    no_shows = demo_manifest["repeated_no_shows"][0]["client_id"]
    assert "Missed the last 3 sessions in a row (no-shows)" in why[no_shows]
    switch = demo_manifest["switch_after_low_scores"][0]["client_id"]
    assert "Asked to change therapist on" in why[switch] and "(open)" in why[switch]
    assert "below 36" in why[switch]

    sliding = demo_manifest["sliding_therapist"]
    table = at.dataframe[0].value
    rows = table[table["Therapist"].str.endswith(f"({sliding})")]
    con = db.connect(demo_db)
    as_of = attention.latest_day(con)
    active = attention.relationships(con, as_of, settings.load(con)).filter(
        pl.col("therapist_id") == sliding).height
    con.close()
    assert len(rows) == active >= 3  # every one of the sliding therapist's relationships is on the list
    assert all("SRS" in text for text in rows["Why"])


def test_client_link_opens_the_drill_down(demo_db, demo_manifest):
    from streamlit.testing.v1 import AppTest

    client = demo_manifest["repeated_no_shows"][0]["client_id"]
    os.chdir(ROOT)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=30)
    at.query_params["client"] = client
    at.run()
    at.switch_page(PAGE)
    at.run()
    assert not at.exception
    assert at.selectbox(key="attention_client").value == client
    assert len(at.get("plotly_chart")) == 1
    assert any("Missed the last 3 sessions in a row" in m.value for m in at.markdown)
    assert at.query_params["client"] == client


def test_marking_discussed_hides_the_row_until_a_new_low_score(demo_db, demo_manifest, write_csv):
    client = demo_manifest["sharp_drop"][0]["client_id"]
    therapist = demo_manifest["sharp_drop"][0]["therapist_id"]
    at = app_test(PAGE)
    assert client in why_by_client(at)
    at.selectbox(key="attention_client").set_value(client).run()
    at.text_area(key="attention_note").input("Asked the therapist to raise the last session with the client")
    at.button(key="attention_mark").click().run()
    assert not at.exception
    assert client not in why_by_client(at)
    assert any(f"Marked {client}" in s.value for s in at.success)
    at.selectbox(key="attention_client").set_value(client).run()
    logs = [d.value for d in at.dataframe if "Note" in d.value.columns]
    assert logs and logs[0]["Note"].tolist() == ["Asked the therapist to raise the last session with the client"]

    session = write_csv("later.csv", "session_id,client_id,therapist_id,scheduled_at,status\n"
                                     f"S9999999,{client},{therapist},{demo_manifest['end']} 09:00,attended")
    score = write_csv("later_feedback.csv", "session_id,srs_total\nS9999999,30.5")
    con = db.connect(demo_db)
    for path in (session, score):
        assert ingest.import_file(con, path).status == "imported"
    con.close()
    at.run()
    assert not at.exception
    assert f"Latest SRS 30.5 on {demo_manifest['end']}, below 36." in why_by_client(at)[client]


def test_flag_kind_filter_and_discussed_toggle(demo_db, demo_manifest):
    at = app_test(PAGE)
    at.multiselect(key="attention_kinds").set_value(["switch_request"]).run()
    switch = demo_manifest["switch_after_low_scores"][0]["client_id"]
    assert list(why_by_client(at)) == [switch]
    at.radio(key="attention_order").set_value("By priority").run()
    assert not at.exception


def list_selection_key(at) -> str:
    """The attention table's widget key (it names the rows shown, so it changes with them)."""
    return next(e.proto.id.split("-", 2)[2] for e in at.dataframe if "attention_list_" in e.proto.id)


def ticked_clients(at) -> list[str]:
    key = list_selection_key(at)
    rows = at.session_state[key]["selection"]["rows"] if key in at.session_state else []
    return [at.dataframe[0].value["Client"][row] for row in rows]


def test_a_picked_row_never_points_at_another_client_after_reordering(demo_db):
    at = app_test(PAGE)
    at.session_state[list_selection_key(at)] = {"selection": {"rows": [3], "columns": [], "cells": []}}
    at.run()
    picked = at.dataframe[0].value["Client"][3]
    assert at.selectbox(key="attention_client").value == picked
    at.radio(key="attention_order").set_value("By priority").run()
    assert not at.exception
    assert at.dataframe[0].value["Client"][3] != picked  # the reorder moved another client to that row
    assert at.selectbox(key="attention_client").value == picked
    assert ticked_clients(at) in ([], [picked])


def test_settings_page_previews_and_saves(demo_db):
    at = app_test("pages/settings.py")
    assert not at.exception
    preview = at.dataframe[0].value
    before = dict(zip(preview["Rule"], preview["Relationships flagged"], strict=True))
    assert "Any rule (the weekly list)" in before
    assert any("10%–15%" in w.value for w in [*at.warning, *at.info])
    at.number_input(key="settings_srs_cutoff").set_value(30.0).run()
    after = dict(zip(at.dataframe[0].value["Rule"], at.dataframe[0].value["Relationships flagged"], strict=True))
    assert after["Low SRS"] < before["Low SRS"]
    at.button(key="settings_save").click().run()
    assert not at.exception
    con = db.connect(demo_db)
    assert settings.load(con)["srs_cutoff"] == 30.0
    con.close()


@pytest.mark.parametrize("page", [PAGE, "pages/settings.py"])
def test_pages_on_an_empty_database(empty_db, page):
    at = app_test(page)
    assert not at.exception
    assert any("No data loaded yet" in i.value for i in at.info)


def test_cli_flags(demo_db, demo_manifest, capsys):
    assert cli.main(["flags", "--db", str(demo_db), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["as_of"] == demo_manifest["end"]
    kinds = {r["client_id"]: {f["kind"] for f in r["flags"]} for r in report["relationships"]}
    assert "srs_drop" in kinds[demo_manifest["sharp_drop"][0]["client_id"]]
    assert "missed_sessions" in kinds[demo_manifest["repeated_no_shows"][0]["client_id"]]
    assert "switch_request" in kinds[demo_manifest["switch_after_low_scores"][0]["client_id"]]
    assert [r["rank"] for r in report["relationships"]] == list(range(1, len(report["relationships"]) + 1))

    assert cli.main(["flags", "--db", str(demo_db), "--as-of", "2026-06-01"]) == 0
    text = capsys.readouterr().out
    assert text.startswith("Needs attention as of 2026-06-01:")
    assert demo_manifest["repeated_no_shows"][0]["client_id"] not in text  # planted in the last weeks only


def test_roles_on_the_attention_pages(demo_db, demo_manifest):
    from tests.test_access import signed_in

    analyst = signed_in({"email": "an@clinic.org", "role": "analyst"}, PAGE)
    assert any("client-level lists" in w.value for w in analyst.warning)
    assert not analyst.dataframe  # no client rows for an analyst

    con = db.connect(demo_db)
    team = con.execute("SELECT supervisor FROM therapists WHERE therapist_id = $t",
                       {"t": demo_manifest["sharp_drop"][0]["therapist_id"]}).fetchall()[0][0]
    mine = {r[0] for r in con.execute("SELECT therapist_id FROM therapists WHERE supervisor = $s",
                                      {"s": team}).fetchall()}
    access.save_user(con, "sup@clinic.org", "supervisor", name="Sam Sup", teams=(team,))
    con.close()
    supervisor = signed_in({"email": "sup@clinic.org", "name": "Sam Sup"}, PAGE)
    assert not supervisor.exception
    shown = {t.split("(")[-1].rstrip(")") for t in supervisor.dataframe[0].value["Therapist"]}
    assert shown and shown <= mine
    assert supervisor.text_input(key="attention_by").value == "Sam Sup"
    supervisor.selectbox(key="attention_client").set_value(demo_manifest["sharp_drop"][0]["client_id"]).run()
    supervisor.button(key="attention_mark").click().run()
    con = db.connect(demo_db)
    events = access.audit_events(con, "review")
    assert events["actor"].to_list() == ["sup@clinic.org"]
    assert attention.client_reviews(con, demo_manifest["sharp_drop"][0]["client_id"])["reviewed_by"].to_list() == [
        "Sam Sup"]
    con.close()

    settings_page = signed_in({"email": "sup@clinic.org", "name": "Sam Sup"}, "pages/settings.py")
    assert settings_page.button(key="settings_save").disabled


def test_a_clients_sessions_and_requests_read_with_plain_headers(demo_db, demo_manifest):
    """The drill-down tables name their columns as a supervisor says them, and each therapist as "Name (ID)"."""
    case = demo_manifest["switch_after_low_scores"][0]
    at = app_test(PAGE)
    at.selectbox(key="attention_client").set_value(case["client_id"]).run()
    assert not at.exception
    tables = {tuple(t.value.columns): t.value for t in at.dataframe}
    sessions = next(v for k, v in tables.items() if k[:2] == ("When", "Therapist"))
    assert list(sessions.columns) == ["When", "Therapist", "Status", "Session", "SRS", "SRS relationship",
                                      "SRS goals and topics", "SRS approach or method", "SRS overall", "ORS",
                                      "Comment"]
    assert sessions["Therapist"].str.endswith(f"({case['therapist_id']})").any()
    assert sessions["SRS"].notna().any()
    requests = next(v for k, v in tables.items() if k[:2] == ("Requested", "Request"))
    assert list(requests.columns) == ["Requested", "Request", "From", "To", "Status", "Reason (client's words)"]
    assert requests["From"].str.endswith(f"({case['therapist_id']})").all()
