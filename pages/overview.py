"""Overview: the clinic's headline numbers for the period, against the period before, and the weekly trend."""

import streamlit as st

from attune import charts, overview, ruptures, settings
from attune.formatting import period, rate
from attune.ui import sidebar
from attune.ui.cache import figure, load, prefetch
from attune.ui.cards import headline_cards
from attune.ui.empty import stop_empty

filters = sidebar.render()
st.title("Overview")
st.caption(f"{period(filters.start, filters.end)}, compared with the {filters.days} days before.")

weekly_rows = (overview.weekly, filters)
repair_rows = (ruptures.over_time, filters, load(settings.load), st.session_state["as_of"])
prefetch(weekly_rows, repair_rows)  # they run while the headline cards are drawn
cards = load(overview.headlines, filters)
if not cards[1].value and not cards[0].value:
    stop_empty("No sessions in this period for the chosen filters.",
               "No data loaded yet. Import your clinic's CSV exports (sessions, feedback, episodes, switch "
               "requests, therapist roster) on the Data page, or run `make run` to start with the demo clinic.")

headline_cards(cards)

st.subheader("Week by week")
st.plotly_chart(figure(charts.weekly_trend, load(*weekly_rows)), width="stretch", theme=None,
                key="overview_trend",
                alt="Mean SRS and no-show rate per week")

st.subheader("Rupture and repair")
repairs = load(*repair_rows)
resolved, repaired = int(repairs["resolved"].sum()), int(repairs["repaired"].sum())
if not resolved:
    st.caption("No rupture with a known outcome in this period (a drop in a client's SRS, see Rupture and repair).")
else:
    st.caption(f"Share of ruptures repaired per {repairs['grain'][0]}, with its 95% interval: "
               f"{rate(repaired, resolved)} ruptures with a known outcome in the period; "
               f"{int(repairs['open'].sum()):,} still open. Per therapist on the Rupture and repair page."
               + ruptures.unsettled_note(repairs))
    st.plotly_chart(figure(charts.repair_rate, repairs), width="stretch", theme=None, key="overview_repair",
                    alt="Share of ruptures repaired per period")
