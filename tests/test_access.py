"""Roles and scope: who sees what, enforced in the query layer; the audit trail; sign-in modes in the app."""

from datetime import date

import polars as pl
import pytest
import streamlit as st
from polars.testing import assert_frame_equal

from attune import access, db
from attune.filters import default_filters
from tests.conftest import app_test
from tests.test_db import SAMPLE_PARAMS, _is_read_query

CLIENT_TABLES = ("sessions", "feedback", "episodes", "switch_requests", "ratings", "scoped_")
# Queries that read clinic data but are deliberately unscoped, with the reason.
UNSCOPED = {
    "data_extent": "freshness of the whole database (counts and dates only)",
    "team_therapists": "computes the scope itself",
    "derived_source": "row and batch counts, to know when derived tables must be rebuilt (attune/derived.py)",
    "attention_source": "row and batch counts, to know when the stored attention list is stale (attention_facts)",
    "integrity_problems": "counts of broken invariants for `attune check` and backups (no rows shown)",
    "newest_rating": "one timestamp, to choose how ORS outcomes are read (attune/therapists.py; nothing shown)",
    "batch_sessions_rated": "whether an import's sessions are rated, to skip a rebuild (attune/ingest.py; not shown)",
    "rating_facts_appendable": "whether a batch's ratings can be appended to rating_facts (attune/derived.py; not "
                               "shown)",
}


def test_scope_per_role(demo_db):
    con = db.connect(demo_db)
    roster = pl.read_database("SELECT therapist_id, supervisor FROM therapists", con)
    team = roster["supervisor"][0]
    team_members = tuple(sorted(roster.filter(pl.col("supervisor") == team)["therapist_id"]))
    assert access.scope(con, access.Viewer("d", "D", "director")).visible is None
    assert access.scope(con, access.Viewer("a", "A", "analyst")).visible is None
    assert access.scope(con, access.Viewer("s", "S", "supervisor", (team,))).visible == team_members
    assert access.scope(con, access.Viewer("t", "T", "therapist", therapist_id="T04")).visible == ("T04",)
    assert access.scope(con, access.Viewer("t", "T", "therapist")).visible == ()
    assert not access.Viewer("a", "A", "analyst").sees_comments
    assert not access.Viewer("a", "A", "analyst").sees_client_rows
    assert access.Viewer("a", "A", "analyst").can_import


def test_every_clinic_query_takes_the_viewer_scope():
    for name in db.query_names():
        sql = db.query_sql(name)
        if not _is_read_query(sql) or name in UNSCOPED:
            continue
        if any(table in sql for table in CLIENT_TABLES):
            assert "visible" in db.query_parameters(name), f"{name} reads clinic data without $visible"


@pytest.mark.parametrize("therapist", ["T03", "T12"])
def test_scoped_queries_equal_the_same_query_filtered_to_the_visible_therapist(demo_db, therapist):
    """For every scoped query: visible=[X] gives exactly what a filter on X gives, never more."""
    con = db.connect(demo_db)
    checked = 0
    for name in db.query_names():
        if not _is_read_query(db.query_sql(name)) or "visible" not in db.query_parameters(name):
            continue
        params = SAMPLE_PARAMS | {"start_date": date(2025, 1, 1)}
        scoped = db.run_query(con, name, params | {"visible": [therapist]})
        if "therapist_ids" in db.query_parameters(name):
            filtered = db.run_query(con, name, params | {"therapist_ids": [therapist], "visible": None})
            assert_frame_equal(scoped, filtered, check_row_order=False), name
        if "therapist_id" in scoped.columns:
            assert set(scoped["therapist_id"].drop_nulls()) <= {therapist}, name
        nobody = db.run_query(con, name, params | {"visible": []})
        if "therapist_id" in nobody.columns:
            assert nobody["therapist_id"].drop_nulls().is_empty(), name
        checked += 1
    assert checked >= 3


def test_users_file_and_audit(con, tmp_path):
    path = tmp_path / "users.toml"
    path.write_text('[[user]]\nemail = "dir@clinic.org"\nrole = "director"\n\n'
                    '[[user]]\nemail = "sup@clinic.org"\nrole = "supervisor"\nteams = ["Haddad team"]\n')
    assert access.load_users_file(con, path) == 2
    found = access.find_user(con, "SUP@clinic.org")
    assert found.role == "supervisor" and found.teams == ("Haddad team",)
    with pytest.raises(access.AccessError, match="needs at least one team"):
        access.save_user(con, "x@clinic.org", "supervisor")
    with pytest.raises(access.AccessError, match="Unknown role"):
        access.save_user(con, "x@clinic.org", "owner")
    access.record(con, found, "export", "overview.csv")
    events = access.audit_events(con)
    assert events.select("actor", "role", "action", "detail").row(0) == (
        "sup@clinic.org", "supervisor", "export", "overview.csv")
    assert access.audit_events(con, "sign_in").is_empty()


def test_local_mode_is_bannered(demo_db):
    at = app_test()
    assert not at.exception
    assert any("Local mode" in i.value for i in at.sidebar.info)


def test_network_address_without_sign_in_refuses(demo_db):
    previous = st.get_option("server.address")
    st.config.set_option("server.address", "0.0.0.0")
    try:
        at = app_test()
    finally:
        st.config.set_option("server.address", previous)
    assert any("sign-in is not configured" in e.value for e in at.error)
    assert not at.metric


AUTH = {"redirect_uri": "http://localhost:8501/oauth2callback", "cookie_secret": "x" * 32,
        "client_id": "attune", "client_secret": "s",
        "server_metadata_url": "http://localhost:1/.well-known/openid-configuration"}


def signed_in(user: dict | None, page: str | None = None):
    from streamlit.testing.v1 import AppTest

    from tests.conftest import ROOT

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=30)
    at.secrets["auth"] = AUTH
    if user is not None:
        at.user = {"is_logged_in": True, **user}
    at.run()
    if page:
        at.switch_page(page).run()
    return at


def test_unauthenticated_sees_only_the_sign_in_page(demo_db):
    at = signed_in(None)
    assert not at.exception
    assert [b.label for b in at.button] == ["Sign in"]
    assert not at.metric and not at.sidebar.multiselect


def test_supervisor_sees_only_their_team_even_with_a_crafted_url(demo_db):
    con = db.connect(demo_db)
    roster = pl.read_database("SELECT therapist_id, supervisor FROM therapists", con)
    team = roster["supervisor"][0]
    mine = set(roster.filter(pl.col("supervisor") == team)["therapist_id"])
    other = roster.filter(pl.col("supervisor") != team)["therapist_id"][0]
    access.save_user(con, "sup@clinic.org", "supervisor", teams=(team,))
    con.close()
    from streamlit.testing.v1 import AppTest

    from tests.conftest import ROOT

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=30)
    at.secrets["auth"] = AUTH
    at.user = {"is_logged_in": True, "email": "sup@clinic.org", "name": "Sup"}
    at.query_params["therapist"] = other
    at.run()
    assert not at.exception
    assert set(at.multiselect(key="flt_therapists").options) == {
        o for o in at.multiselect(key="flt_therapists").options}  # options rendered
    offered = {o.split("(")[-1].rstrip(")") for o in at.multiselect(key="flt_therapists").options}
    assert offered == mine
    assert any(other in c.value for c in at.sidebar.caption)  # the crafted value was ignored with a notice
    held = {m.label: m.value for m in at.metric}["Sessions held"]
    filters = at.session_state["filters"]
    con = db.connect(demo_db)
    expected = con.execute(
        "SELECT count(*) FROM sessions WHERE status = 'attended' AND list_contains($mine, therapist_id) "
        "AND scheduled_at::DATE BETWEEN $s AND $e", {"mine": sorted(mine), "s": filters.start, "e": filters.end}
    ).fetchall()[0][0]
    assert held == f"{expected:,}"
    assert not access.audit_events(con, "sign_in").is_empty()


def test_user_without_a_role_is_told_so(demo_db):
    at = signed_in({"email": "stranger@clinic.org"})
    assert any("no role in Attune" in e.value for e in at.error)
    assert not at.metric


def test_role_from_token_claims_and_admin_page_for_directors_only(demo_db):
    analyst = signed_in({"email": "an@clinic.org", "role": "analyst"}, "pages/admin.py")
    assert any("directors only" in w.value for w in analyst.warning)
    director = signed_in({"email": "boss@clinic.org", "role": "director"}, "pages/admin.py")
    assert not director.exception and not director.warning
    assert director.title[0].value == "Admin"
    assert any("Nobody is listed yet" in i.value for i in director.info)  # roles come from the token alone
    con = db.connect(demo_db)  # as the page's form does; neither changes the data version
    access.save_user(con, "sup@clinic.org", "supervisor", name="Sam Sup", teams=("Team A",))
    access.record(con, director.session_state["viewer"], "users", "set sup@clinic.org as supervisor")
    con.close()
    director = signed_in({"email": "boss@clinic.org", "role": "director"}, "pages/admin.py")
    people, audit = (d.value for d in director.dataframe)
    assert people["email"].tolist() == ["sup@clinic.org"] and people["role"].tolist() == ["supervisor"]
    assert "set sup@clinic.org as supervisor" in audit["detail"].tolist()
    assert not any("Nobody is listed yet" in i.value for i in director.info)
    assert default_filters(None).visible_therapists is None


def test_adding_a_person_asks_for_a_role_rather_than_defaulting_to_director(demo_db):
    director = signed_in({"email": "boss@clinic.org", "role": "director"}, "pages/admin.py")
    role = director.selectbox(key="admin_role")
    assert role.value is None
    assert role.format_func("analyst") == f"analyst: {access.ROLE_HELP['analyst']}"
    director.text_input(key="admin_email").set_value("new@clinic.org")
    director.button[0].click().run()  # the form's Save
    assert [e.value for e in director.error] == ["Choose a role for new@clinic.org."]
    con = db.connect(demo_db)
    assert access.users(con).is_empty()
    with pytest.raises(access.AccessError, match="An email is needed"):
        access.save_user(con, "  ", "analyst")
    con.close()
    director.text_input(key="admin_email").set_value("new@clinic.org")
    director.selectbox(key="admin_role").set_value("analyst")
    director.button[0].click().run()
    con = db.connect(demo_db)
    assert access.users(con).select("email", "role").rows() == [("new@clinic.org", "analyst")]
    con.close()
