"""Rupture and repair: ruptures noticed per therapist, how many were repaired and how quickly, as a strength."""

import streamlit as st

from attune import charts, ruptures, settings
from attune.formatting import day, percent, period, rate, score
from attune.glossary import MIN_CASELOAD
from attune.ui import sidebar
from attune.ui.cache import figure, load, prefetch
from attune.ui.empty import stop_empty
from attune.ui.tables import ONE_DECIMAL, show_table

filters = sidebar.render()
viewer, as_of = st.session_state["viewer"], st.session_state["as_of"]
st.title("Rupture and repair")
values = load(settings.load)
event_rows = (ruptures.events, filters, values, as_of)
prefetch(event_rows)  # runs while the table per therapist is loaded and drawn
st.caption(f"Ruptures noticed {period(filters.start, filters.end)}; whether they were repaired is judged on the data "
           f"up to {day(as_of)}. Thresholds are on the Settings page.")
st.markdown(ruptures.describe(values))

per = load(ruptures.by_therapist, filters, values, as_of)
if per.is_empty():
    stop_empty("No SRS ratings in this period for the chosen filters.",
               "No data loaded yet. Import your clinic's CSV exports (sessions and feedback) on the Data page.")

st.info("A rupture is not a fault. A client who shows a dip on the SRS is telling the therapist something, and "
        "a rupture that is noticed and repaired strengthens the relationship: repaired ruptures go with better "
        "outcomes (meta-analysis, r ≈ .29). Use this page to find who repairs well and ask them how.",
        icon=":material/handshake:")
events = load(*event_rows)
total = ruptures.clinic_total(per, events)
left, middle, right, last = st.columns(4)
left.metric("Ruptures noticed", f"{total['ruptures']:,}", border=True,
            help=f"Among {total['clients']:,} clients rated in the period.")
middle.metric("Repaired", percent(total["share_repaired"]), border=True,
              help=f"{rate(total['repaired'], total['resolved'])} ruptures whose outcome is known (repaired or not "
                   "repaired); open ones are not counted.")
right.metric("Still open", f"{total['open']:,}", border=True,
             help="Too recent to tell: fewer ratings since the rupture than the repair window, client still attending.")
median = total["median_to_repair"]
last.metric("Median sessions to repair", score(median), border=True,
            help="Rated sessions from the rupture to the repair, over the repaired ruptures.")
if total["resolved"] == 0:
    st.caption("No rupture in this period has an outcome yet.")
    st.stop()

st.subheader("By therapist")
drawn = ruptures.charted(per)
st.caption(f"{ruptures.chart_note(per, drawn)}Share of ruptures repaired with its 95% interval; the dashed line is the "
           f"clinic's {rate(total['repaired'], total['resolved'])}. Hollow dots: fewer than {MIN_CASELOAD} clients "
           "rated, too few for a comparison to mean much. Overlapping intervals mean the difference may well be noise.")
st.plotly_chart(figure(charts.repair_by_therapist, drawn, total["share_repaired"], MIN_CASELOAD),
                width="stretch", theme=None,
                key="ruptures_chart",
                alt="Share of ruptures repaired per therapist, with 95% intervals")
show_table(ruptures.therapist_table(per, MIN_CASELOAD), "rupture-repair-by-therapist", filters,
           key="ruptures_by_therapist", column_config={
               "Median sessions to repair": ONE_DECIMAL,
               "Note": st.column_config.TextColumn(width="medium")})

if viewer.sees_client_rows:
    with st.expander(f"The {events.height:,} ruptures, one per row"):
        show_table(ruptures.events_view(events), "ruptures", filters, key="ruptures_events", aggregate=False,
                   column_config={
                       "Client": st.column_config.LinkColumn("Client", display_text=r"client=(.*)$",
                                                             help="Open the client's history"),
                       "SRS before": st.column_config.NumberColumn(format="%.1f"),
                       "SRS at rupture": st.column_config.NumberColumn(format="%.1f"),
                       "Rupture on": st.column_config.DateColumn(format="YYYY-MM-DD"),
                       "Repaired on": st.column_config.DateColumn(format="YYYY-MM-DD")})
