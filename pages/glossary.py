"""Glossary: what every number means, and where the default thresholds come from."""

from itertools import groupby

import streamlit as st

from attune import glossary
from attune.ui import sidebar

sidebar.render(with_filters=False)
st.title("Glossary")
st.caption("Every number in Attune, defined once; the thresholds with the research they come from.")

for group, terms in groupby(glossary.TERMS, key=lambda t: t.group):
    st.subheader(group)
    for term in terms:
        st.markdown(f"**{term.name}**: {term.definition}")

st.subheader("Default thresholds and their sources")
for threshold in glossary.THRESHOLDS:
    with st.container(border=True):
        st.markdown(f"**{threshold.name}: {threshold.value}**  \n{threshold.meaning}")
        st.caption(f"Source: {threshold.source}")
