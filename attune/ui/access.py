"""Sign-in and the viewer for this browser session.

With an [auth] section in .streamlit/secrets.toml, everyone signs in through the OpenID Connect provider
(st.login) and gets the role stored in Attune (or carried by the token). Without one, Attune runs only in
local mode: served on localhost, one local user who sees everything, with a banner saying so; served on a
network address it refuses to show any data.
"""

from __future__ import annotations

import streamlit as st

from attune import access
from attune.access import Viewer
from attune.ui.cache import cursor, load

LOCAL_ADDRESSES = {"localhost", "127.0.0.1", "::1"}
SECRETS_HELP = ("Copy .streamlit/secrets.toml.example to .streamlit/secrets.toml and fill in the [auth] "
                "section with your OpenID Connect provider (see README, 'Sign-in and roles').")


def auth_configured() -> bool:
    try:
        return "auth" in st.secrets
    except Exception:  # no secrets file at all
        return False


def served_locally() -> bool:
    return (st.get_option("server.address") or "") in LOCAL_ADDRESSES


def current_viewer() -> Viewer:
    """The signed-in (or local) viewer with their therapist scope; stops the page when there is none."""
    if not auth_configured():
        if not served_locally():
            st.error("Attune is served on a network address but sign-in is not configured, so it shows "
                     "nothing. " + SECRETS_HELP)
            st.stop()
        viewer = access.local_viewer()
    else:
        viewer = _signed_in_viewer()
    return load(access.scope, viewer)


def _signed_in_viewer() -> Viewer:
    if not st.user.get("is_logged_in", False):
        st.title("Attune")
        st.write("Attune shows information about people in therapy. Sign in with your clinic account to continue.")
        st.button("Sign in", on_click=st.login, type="primary", key="access_sign_in")
        st.stop()
    claims = st.user.to_dict()
    identity = claims.get("email") or claims.get("sub") or ""
    with cursor() as cur:
        viewer = access.find_user(cur, identity) or access.viewer_from_claims(claims)
        if viewer is None:
            st.error(f"You are signed in as {identity}, but you have no role in Attune yet. Ask a clinic "
                     "director to add you on the Admin page.")
            st.button("Sign out", on_click=st.logout, key="access_sign_out_norole")
            st.stop()
        if st.session_state.get("access_signed_in") != identity:
            access.record(cur, viewer, "sign_in", f"signed in as {viewer.role}")
            st.session_state["access_signed_in"] = identity
    return viewer


def sidebar_badge(viewer: Viewer) -> None:
    if viewer.local:
        st.sidebar.info("Local mode: no sign-in is configured, so Attune only serves this computer and "
                        "everyone using it sees all data.", icon=":material/lock_open:")
        return
    st.sidebar.caption(f"Signed in as **{viewer.name}** ({viewer.role})")
    st.sidebar.button("Sign out", on_click=st.logout, key="access_sign_out")


def require(allowed: bool, what: str) -> None:
    """Stop the page with a plain message when the viewer's role does not allow it."""
    if not allowed:
        st.warning(f"Your role does not include {what}. Ask a clinic director if you need it.")
        st.stop()
