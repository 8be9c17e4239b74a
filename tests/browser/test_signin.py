"""Sign-in against a real OpenID Connect provider (oidc-provider-mock) in a real Chromium, one user per role."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import polars as pl
import pytest

from attune import access, db
from tests.support.browser import wait_for_app, wait_for_elements
from tests.support.server import free_port

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
               "--disable-component-update", "--disable-sync"]

pytestmark = pytest.mark.browser


def wait_for(url: str, timeout: float = 60) -> None:
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
def signin_app(demo_db_template, tmp_path_factory):
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI") == "true":
            pytest.fail("chromium is required under CI=true (make browser installs it)")
        pytest.skip("chromium is not installed (make browser installs it)")
    work = tmp_path_factory.mktemp("signin")
    database = work / "attune.duckdb"
    shutil.copy(demo_db_template, database)
    con = db.connect(database)
    roster = pl.read_database("SELECT therapist_id, supervisor FROM therapists ORDER BY therapist_id", con)
    team = roster["supervisor"][0]
    access.save_user(con, "dir@clinic.org", "director")
    access.save_user(con, "sup@clinic.org", "supervisor", teams=(team,))
    access.save_user(con, "an@clinic.org", "analyst")
    con.close()
    oidc_port, app_port = free_port(), free_port()
    secrets = work / "secrets.toml"
    secrets.write_text(
        "[auth]\n"
        f'redirect_uri = "http://localhost:{app_port}/oauth2callback"\n'
        'cookie_secret = "test-cookie-secret-0123456789abcdef"\n'
        'client_id = "attune"\nclient_secret = "secret"\n'
        f'server_metadata_url = "http://localhost:{oidc_port}/.well-known/openid-configuration"\n')
    env = {**os.environ, "ATTUNE_DB": str(database), "AUTHLIB_INSECURE_TRANSPORT": "1"}
    provider = subprocess.Popen([str(Path(sys.executable).parent / "oidc-provider-mock"), "-p", str(oidc_port)],
                                env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    server = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(app_port),
         "--server.address", "localhost", "--server.headless", "true", "--secrets.files", str(secrets)],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for(f"http://localhost:{oidc_port}/.well-known/openid-configuration")
        wait_for(f"http://localhost:{app_port}/_stcore/health")
        yield {"url": f"http://localhost:{app_port}", "team": team, "roster": roster, "db": database,
               "server": server}
    finally:
        for process in (server, provider):
            process.terminate()
            process.wait(10)


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        instance = p.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        yield instance
        instance.close()


def sign_in(browser, base: str, who: str, path: str = "/"):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    context.route("**/*.css", lambda route: route.fulfill(status=200, body="", content_type="text/css")
                  if "localhost" not in route.request.url else route.continue_())
    page = context.new_page()
    page.goto(base + path)
    wait_for_app(page)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_selector("input[name=sub]", timeout=30000)
    page.fill("input[name=sub]", who)
    page.get_by_role("button", name="Authorize").click()
    # The provider returns through /oauth2callback, which sets the cookie, to the start page: once that has
    # loaded, the session is signed in, and the page under test is opened without drawing the start page.
    page.wait_for_url(lambda url: url.startswith(base + "/") and "oauth2callback" not in url, timeout=30000)
    page.goto(base + path)
    wait_for_app(page)
    return context, page


def test_unauthenticated_visitor_sees_only_the_sign_in_page(signin_app, browser):
    page = browser.new_page()
    page.goto(signin_app["url"] + "/admin")
    wait_for_app(page)
    body = page.inner_text("body")
    assert "Sign in with your clinic account" in body
    assert "Sessions held" not in body and "Audit trail" not in body
    page.close()


def test_each_role_sees_what_it_may(signin_app, browser, tmp_path):
    base, roster, team = signin_app["url"], signin_app["roster"], signin_app["team"]
    mine = set(roster.filter(pl.col("supervisor") == team)["therapist_id"])
    other = sorted(set(roster["therapist_id"]) - mine)[0]

    context, page = sign_in(browser, base, "dir@clinic.org", "/admin")
    page.screenshot(path=str(tmp_path / "director.png"))
    assert "Audit trail" in page.inner_text("body")
    wait_for_elements(page, "stDataFrame", 2)
    assert page.locator('[data-testid="stDataFrame"]').count() == 2  # people and roles, audit trail
    context.close()

    context, page = sign_in(browser, base, "sup@clinic.org", f"/?therapist={other}")
    body = page.inner_text("body")
    assert f"Ignored unknown therapist value in the link: {other}" in body
    box = page.locator('[data-testid="stSidebar"] [data-testid="stMultiSelect"]').filter(has_text="Therapists")
    box.locator("input").press_sequentially("(")  # every option reads "Name (ID)": typing opens the whole list
    page.get_by_role("option").first.wait_for()
    offered = [o for o in page.locator('[role="option"]').all_inner_texts() if not o.startswith("Select ")]
    assert offered and all(any(f"({t})" in o for t in mine) for o in offered)
    assert not any(f"({other})" in o for o in offered)
    context.close()

    context, page = sign_in(browser, base, "an@clinic.org", "/admin")
    assert "directors only" in page.inner_text("body")
    context.close()


def test_sign_ins_are_in_the_audit_trail(signin_app):
    """Runs last: stop the app (it holds the database) and read the audit trail it wrote."""
    signin_app["server"].terminate()
    signin_app["server"].wait(10)
    con = db.connect(signin_app["db"])
    events = access.audit_events(con, "sign_in")
    assert {"dir@clinic.org", "sup@clinic.org", "an@clinic.org"} <= set(events["actor"])
    assert set(events.filter(pl.col("actor") == "sup@clinic.org")["role"]) == {"supervisor"}
