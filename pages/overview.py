"""Overview: the clinic's headline numbers for the period, against the period before, and the weekly trend."""

import streamlit as st

from attune import charts, overview
from attune.formatting import period
from attune.ui import sidebar
from attune.ui.cache import chart, load

filters = sidebar.render()
st.title("Overview")
st.caption(f"{period(filters.start, filters.end)}, compared with the {filters.days} days before.")

cards = load(overview.headlines, filters)
if not cards[1].value and not cards[0].value:
    if load(overview.has_any_sessions):
        st.info("No sessions in this period for the chosen filters. Widen the date range or clear a filter "
                "in the sidebar.")
    else:
        st.info("No data loaded yet. Import your clinic's CSV exports (sessions, feedback, episodes, switch "
                "requests, therapist roster) on the Data page, or run `make run` to start with the demo clinic.")
    st.stop()

columns = st.columns(4)
for i, card in enumerate(cards):
    columns[i % 4].metric(card.label, card.display, card.delta, help=card.help, border=True,
                          delta_color=card.delta_color)

st.subheader("Week by week")
st.plotly_chart(chart(charts.weekly_trend, overview.weekly, filters), width="stretch", theme=None,
                key="overview_trend")
