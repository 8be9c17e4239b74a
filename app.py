"""Attune: the entry point. Page config and navigation; no queries or logic here.

Each page draws the shared sidebar (filters, data freshness) itself with `sidebar.render()`: widgets
created here, before `page.run()`, are lost by AppTest on reruns (streamlit 1.67), so tests could not
drive them.
"""

import streamlit as st

from attune.ui import cache, navigation

st.set_page_config(page_title="Attune", page_icon=":material/handshake:", layout="wide")

PAGES = [
    st.Page("pages/overview.py", title="Overview", icon=":material/dashboard:", default=True),
    st.Page("pages/attention.py", title="Needs attention", icon=":material/priority_high:"),
    st.Page("pages/therapists.py", title="Therapists", icon=":material/groups:"),
    st.Page("pages/attendance.py", title="Attendance", icon=":material/event_busy:"),
    st.Page("pages/dropout.py", title="Dropout", icon=":material/trending_down:"),
    st.Page("pages/fit.py", title="Fit & switches", icon=":material/swap_horiz:"),
    st.Page("pages/ruptures.py", title="Rupture and repair", icon=":material/healing:"),
    st.Page("pages/comments.py", title="In clients' words", icon=":material/format_quote:"),
    st.Page("pages/data.py", title="Data", icon=":material/upload_file:"),
    st.Page("pages/settings.py", title="Settings", icon=":material/tune:"),
    st.Page("pages/report.py", title="Meeting report", icon=":material/summarize:"),
    st.Page("pages/glossary.py", title="Glossary", icon=":material/menu_book:"),
    st.Page("pages/admin.py", title="Admin", icon=":material/admin_panel_settings:"),
]

page = st.navigation(PAGES, expanded=True)  # every page listed: the nav would otherwise fold after ten
navigation.mark_ready(PAGES)
cache.begin_run()  # the whole run reads one data version: never half old, half new numbers during an import
page.run()
