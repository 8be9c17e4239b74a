"""Deep links on a freshly started server.

Until the entry point has run once, Streamlit resolves a URL like /therapists with its older `pages/`-folder
routing and runs the page file without app.py (no navigation, no page config). A page that finds itself
run that way goes to app.py, remembering where it was asked to go; app.py then opens that page with the
link's query parameters, so a shared link works even as the first request after a restart.
"""

from __future__ import annotations

import inspect
from pathlib import Path

import streamlit as st

READY = "nav_ready"
DEEP_LINK = "nav_deep_link"


def mark_ready(pages: list) -> None:
    """Called by app.py after st.navigation: open the page a deep link asked for, if any."""
    st.session_state[READY] = True
    wanted = st.session_state.pop(DEEP_LINK, None)
    if wanted:
        url_path, query = wanted
        target = next((p for p in pages if p.url_path == url_path), None)
        if target is not None:
            st.switch_page(target, query_params=query)


def ensure_entry_point() -> None:
    """Called first by every page: when run outside app.py, hand over to it (see the module docstring)."""
    if st.session_state.get(READY):
        return
    caller = Path(inspect.stack()[2].filename).stem
    st.session_state[DEEP_LINK] = (caller, st.query_params.to_dict())
    st.switch_page("app.py", query_params=st.query_params.to_dict())
