"""Attune: the entry point. Page config, navigation, the shared sidebar; no queries or logic here."""

import streamlit as st

from attune.ui import sidebar

st.set_page_config(page_title="Attune", page_icon=":material/handshake:", layout="wide")

PAGES = [
    st.Page("pages/overview.py", title="Overview", icon=":material/dashboard:", default=True),
    st.Page("pages/data.py", title="Data", icon=":material/upload_file:"),
]

page = st.navigation(PAGES)
st.sidebar.markdown("### Attune")
sidebar.render()
page.run()
