"""Dropout: who ends therapy without a planned ending, after how many sessions, and the link to early alliance."""

import polars as pl
import streamlit as st

from attune import dropout, rate_charts
from attune.charts import BLUE, ORANGE
from attune.filters import SRS_CUTOFF
from attune.formatting import card_share, period
from attune.rate_charts import RateSeries
from attune.survival import median_time, survival_at
from attune.ui import sidebar
from attune.ui.cache import figure, load
from attune.ui.empty import stop_empty
from attune.ui.tables import ONE_DECIMAL, show_table

DROPOUT = RateSeries("dropout", "Dropout", "dropouts", "ended", BLUE)
EARLY = RateSeries("early", f"Early dropout (≤{dropout.EARLY_SESSIONS} sessions)", "early_dropouts", "ended", ORANGE)

filters = sidebar.render()
client_rows = st.session_state["viewer"].sees_client_rows
st.title("Dropout")
st.caption(period(filters.start, filters.end))

data = load(dropout.page_data, filters, SRS_CUTOFF)
episodes, facts = data.episodes, data.facts
if episodes.is_empty():
    stop_empty("No episodes of care overlap this period for the chosen therapists, teams or sites.",
               "No data loaded yet. Import a sessions export (and, for exact figures, an episodes export with end "
               "reasons) on the Data page.")

if facts["estimated"]:
    st.info(dropout.definition(True), icon=":material/info:")
else:
    st.caption(dropout.definition(False))
if filters.services:
    st.caption("The service filter does not apply here: episodes belong to a therapist, not a service.")

cards = st.columns(4)
# The rates' denominator is the card beside them (Episodes ended): written inside a card of four, "18.9% of
# 191,984" was cut off at a network's scale.
cards[0].metric("Dropout rate" + (" (estimated)" if facts["estimated"] else ""),
                card_share(facts["dropouts"], facts["ended"]), border=True,
                help="Dropouts ÷ episodes ended in the period (the third card).")
cards[1].metric("Early dropout", card_share(facts["early_dropouts"], facts["ended"]), border=True,
                help=f"Dropouts after {dropout.EARLY_SESSIONS} attended sessions or fewer ÷ episodes ended in the "
                     "period (the third card).")
cards[2].metric("Episodes ended", f"{facts['ended']:,}", border=True,
                help="Episodes whose end date falls in the period, whatever the reason.")
cards[3].metric("Still in therapy", f"{facts['active']:,}", border=True,
                help="Episodes without an end date; they are censored in the retention curve.")

st.subheader("Retention by session")
names = data.names
left, right = st.columns([3, 2])
chosen = left.multiselect("Compare therapists", sorted(names, key=lambda t: (names[t], t)), max_selections=4,
                          format_func=lambda t: f"{names[t]} ({t})", key="dropout_km_therapists",
                          placeholder="Whole selection only")
event = right.radio("Count as leaving", list(dropout.EVENTS), format_func=dropout.EVENTS.__getitem__,
                    key="dropout_km_event")
curves = dropout.retention(episodes, chosen, event)
if curves.is_empty():
    st.info("No episode started in this period, so there is no retention curve. Widen the date range.")
else:
    st.plotly_chart(figure(rate_charts.retention_curves, curves), width="stretch", theme=None, key="dropout_km_chart",
                    alt="Share of clients still in therapy by sessions attended")
    clinic = curves.filter(pl.col("group") == dropout.CLINIC)
    median = median_time(clinic)
    after = {f"after {k} session{'s' if k > 1 else ''}": survival_at(clinic, k) for k in (1, 2, 5)}
    reached = "; ".join(f"{k}: {v:.0%}" for k, v in after.items() if v is not None)
    st.caption(
        "Kaplan–Meier estimate for episodes that started in the period, followed to the newest data; shaded: 95% "
        "band (Greenwood). Clients still in therapy are censored at the sessions attended so far"
        + (" and other endings at their last session" if event == "dropout" else "")
        + f". Still in therapy {reached}"
        + (f"; half had left by session {median}." if median is not None else "."))
    show_table(dropout.retention_table(curves), "retention curve", filters, key="dropout_km",
               suppression_spec=dropout.RETENTION_SPEC,
               column_config=dict.fromkeys(dropout.RETENTION_PERCENTS, ONE_DECIMAL))

st.subheader("By therapist")
therapists = data.therapists
if therapists.is_empty():
    st.caption("No episode ended in this period.")
else:
    charted = rate_charts.standing_out(therapists, DROPOUT.prefix)
    st.plotly_chart(figure(rate_charts.rate_intervals, charted, [DROPOUT, EARLY], reference=facts["dropout_rate"]),
                    width="stretch", theme=None, key="dropout_therapist_chart",
                    alt="Dropout and early dropout rates per therapist, with 95% intervals")
    st.caption(rate_charts.standing_out_note(charted, therapists)
               + "Dots: rates among episodes that ended in the period (n); bars: 95% intervals. With small caseloads "
               "most differences between therapists are noise. Hollow dots: fewer than 20 endings.")
    show_table(dropout.therapist_table(therapists), "dropout by therapist", filters, key="dropout_therapists")

st.subheader("Early alliance and dropout")
split = data.split
alliance = split.rename({"group": "level"})
if alliance.is_empty():
    st.caption("No episode ended in this period.")
else:
    st.plotly_chart(figure(rate_charts.rate_intervals, alliance, [DROPOUT], reference=facts["dropout_rate"]),
                    width="stretch", theme=None, key="dropout_alliance_chart",
                    alt="Dropout rate after an early SRS below and at or above the cutoff")
    st.caption(f"Early SRS = mean of the episode's first two SRS ratings; {SRS_CUTOFF:g} is the usual signal to "
               "talk about the relationship. Episodes that ended in the period.")
    show_table(dropout.alliance_table(split), "dropout by early alliance", filters, key="dropout_alliance")

st.subheader("Dropouts in the period")
dropped = data.dropped
if dropped.is_empty():
    st.caption("No episode ended as a dropout in this period.")
elif not client_rows:
    st.caption(f"{dropped.height:,} episodes ended as dropouts. Your role does not include client-level lists.")
else:
    show_table(dropped, "dropouts", filters, key="dropout_list", aggregate=False)
