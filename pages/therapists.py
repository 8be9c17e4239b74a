"""Therapists: each therapist beside the clinic with uncertainty (no ranking), funnel plots, shrunken alliance
means, ORS outcomes, and a drill-down into one therapist."""

import streamlit as st

from attune import ruptures, therapists
from attune import therapist_charts as charts
from attune.formatting import period
from attune.ui import sidebar
from attune.ui.cache import figure, load, prefetch
from attune.ui.empty import stop_empty
from attune.ui.tables import ONE_DECIMAL, show_table

filters = sidebar.render()
viewer, as_of = st.session_state["viewer"], st.session_state["as_of"]
min_clients = therapists.MIN_CLIENTS
st.title("Therapists")
st.caption(f"{period(filters.start, filters.end)}. Every figure is set against the whole clinic in the chosen "
           "teams, sites and services.")

# Computed for the whole clinic scope, cached whatever therapists are chosen; the choice is only marked.
clinic = therapists.clinic_scope(filters)
comparison, outcome_rows = (therapists.compare, clinic, min_clients), (therapists.ors_outcomes, clinic, min_clients)
prefetch(comparison, outcome_rows)  # both queries start now; the ORS one runs while the table is drawn
frame = therapists.mark_selected(load(*comparison), filters)
if frame.is_empty():
    stop_empty("No sessions in this period for the chosen filters.",
               "No data loaded yet. Import your clinic's CSV exports (sessions, feedback, episodes, switch "
               "requests, therapist roster) on the Data page.")

st.info(therapists.CHANCE_REMINDER, icon=":material/balance:")
shown = frame.filter(frame["selected"])
few = shown.filter(~shown["compared"]).height
if few:
    longer = " A longer period (e.g. Last 12 months in the sidebar) compares more of them."
    st.caption(f"{few:,} of {shown.height:,} therapists had fewer than {min_clients} clients with ratings in this "
               "period and are shown as too few to compare." + (longer if 4 * few > shown.height else ""))
show_table(therapists.comparison_table(frame, min_clients), "therapists", filters, key="therapists_table")
if frame["dropout_estimated"].any():
    st.caption("No episodes export is loaded: dropout is estimated from sessions (no attended session for "
               "six weeks, last booking missed or cancelled).")
st.caption("Mean SRS: every rated session counted once; its interval counts clients, not sessions, because a "
           "client's ratings resemble each other. Rates use Wilson 95% intervals.")

st.subheader("Fair comparison")
compared = frame.filter(frame["compared"])
if compared.is_empty():
    st.info(f"No therapist had {min_clients} or more clients with ratings in this period, so none can be compared "
            "fairly. Choose a longer period in the sidebar.")
else:
    highlight = bool(filters.therapist_ids)
    totals = therapists.clinic_totals(frame)
    tab_names = [label for label, *_ in therapists.MEASURES.values()] + ["Alliance (SRS), shrunk"]
    # Only the open tab is drawn (a chart costs 50-150 ms to build); choosing another tab reruns the page.
    tabs = st.tabs(tab_names, key="therapists_fair_tab", on_change="rerun")
    for tab, (key, (label, _, _, unit)) in zip(tabs, therapists.MEASURES.items(), strict=False):
        if not tab.open:
            continue
        with tab:
            points = therapists.funnel_points(frame, key)
            if points.is_empty() or totals[f"{key}_rate"] is None:
                st.info(f"No {unit} among the compared therapists in this period.")
                continue
            st.caption(charts.funnel_note(points.height))
            phi = frame[f"{key}_phi"][0]
            curve = therapists.funnel_curve(totals[f"{key}_rate"], int(points["denominator"].max() * 1.05) + 1, phi)
            st.plotly_chart(figure(charts.funnel, points, curve, totals[f"{key}_rate"], label, unit, highlight),
                            width="stretch", theme=None, key=f"therapists_funnel_{key}",
                            alt=f"Funnel plot: {label.lower()} per therapist against the clinic")
            if phi > 1:
                st.caption(therapists.overdispersion_note(phi))
    if tabs[-1].open:
        with tabs[-1]:
            points = therapists.alliance_points(frame)
            if points.is_empty():
                st.info("Not enough rated clients to estimate alliance means.")
            else:
                st.caption(therapists.SHRINKAGE_NOTE)
                if points["srs_between_sd"][0] == 0:
                    st.caption(therapists.NO_SPREAD_NOTE)
                st.plotly_chart(figure(charts.alliance_intervals, points, points["srs_grand_mean"][0], highlight),
                                width="stretch", theme=None, key="therapists_alliance",
                                alt="Mean SRS per therapist, shrunk toward the clinic mean")

st.subheader("Outcome (ORS)")
outcomes = therapists.mark_selected(load(*outcome_rows), filters)
if outcomes.is_empty():
    st.info("No client has two ORS scores in this period, so outcomes cannot be shown. Outcomes need the Outcome "
            "Rating Scale in the feedback export.")
else:
    st.caption("Reliable improvement: the latest ORS at least 5 points above the first with this therapist. "
               "Severity-adjusted change: change in ORS compared with what the clinic's clients with the same intake "
               "score achieved, counting only clients who started in the clinical range (below 25), so harder "
               "caseloads are not penalised.")
    show_table(therapists.ors_table(outcomes, min_clients), "therapist outcomes", filters, key="therapists_ors")

st.subheader("One therapist")
options = shown.sort("therapist_name")["therapist_id"].to_list()
names = dict(zip(frame["therapist_id"], frame["therapist_name"], strict=True))
if st.session_state.get("therapists_drill") not in options:  # first visit, a link's ?therapist=, or filter change
    wanted = st.query_params.get("therapist", "").split(",")[0]
    st.session_state["therapists_drill"] = wanted if wanted in options else options[0]
drill = st.selectbox("Therapist", options, format_func=lambda t: f"{names[t]} ({t})", key="therapists_drill")
weekly_rows = (therapists.weekly, clinic, drill)
repair_rows = (ruptures.by_therapist, therapists.drill_scope(filters, drill), None, as_of)
client_rows = (therapists.current_clients, drill, as_of, filters.visible_therapists)
prefetch(weekly_rows, repair_rows)
if viewer.sees_client_rows:
    prefetch(client_rows)
st.markdown(f"#### {names[drill]}")
row = frame.filter(frame["therapist_id"] == drill).row(0, named=True)
st.caption(f"{row['supervisor'] or 'No team'} · {row['site'] or 'no site'} · {row['active_clients']} active clients, "
           f"{row['rated_clients']} with ratings"
           + ("" if row["compared"] else f" · too few to compare (fewer than {min_clients} clients with ratings)"))
show_table(therapists.profile(frame, outcomes, drill, min_clients), f"therapist {drill} against clinic", filters,
           key="therapists_profile", aggregate=False)  # mixed cells: exported as shown, to roles that see rows
trend = load(*weekly_rows)
st.markdown(therapists.trend_sentence(therapists.trend_summary(trend, filters.end)))
st.plotly_chart(figure(charts.therapist_trend, trend, names[drill]),
                width="stretch", theme=None, key="therapists_trend",
                alt=f"Weekly mean SRS and no-show rate of {names[drill]} beside the clinic")
st.markdown("**Rupture and repair**: dips in the alliance noticed and repaired are a strength to learn from, not "
            "a fault count (see the Rupture and repair page).")
repair = load(*repair_rows)
show_table(ruptures.therapist_table(repair), f"therapist {drill} ruptures", filters, key="therapists_ruptures",
           column_config={"Median sessions to repair": ONE_DECIMAL})  # "1.0" as on Rupture and repair
st.markdown(f"**Current clients** (an attended session in the {therapists.CURRENT_DAYS} days up to {as_of})")
if not viewer.sees_client_rows:
    st.caption("Your role does not include client-level lists.")
    st.stop()
clients = load(*client_rows)
if clients.is_empty():
    st.info("No current clients: nobody attended a session with this therapist in the last six weeks.")
else:
    link = st.column_config.LinkColumn("Client", display_text=r"client=(.*)",
                                       help="Open the client's history on the Needs attention page")
    show_table(clients, f"therapist {drill} clients", filters, key="therapists_clients", aggregate=False,
               column_config={"Client": link})
