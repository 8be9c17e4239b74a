"""Fit & switches: requests to change therapist, the reasons given, where clients went and how it went."""

import streamlit as st

from attune import fit, overview, rate_charts
from attune.formatting import counted, period
from attune.ui import sidebar
from attune.ui.cache import figure, load
from attune.ui.tables import show_table

filters = sidebar.render()
client_rows = st.session_state["viewer"].sees_client_rows
st.title("Fit & switches")
st.caption(period(filters.start, filters.end))
st.markdown(fit.FRAMING)

requests = load(fit.requests, filters)
if requests.is_empty():
    if not load(overview.has_any_sessions):
        st.info("No data loaded yet. Import your clinic's exports, including the requests to change therapist, on "
                "the Data page.")
    elif not load(fit.any_requests, filters.visible_therapists):
        st.info("No requests to change therapist are loaded. Import a switch-requests export on the Data page.")
    else:
        st.info("No requests to change therapist were made in this period, and none is open, for the chosen "
                "filters. Widen the date range or clear a filter in the sidebar.")
    st.stop()

if filters.services:
    st.caption("The service filter does not apply here: requests are counted by the therapist the client asked to "
               "leave.")
made = fit.made(requests)
statuses = made["status"].fill_null("not recorded").value_counts()
status = dict(statuses.iter_rows())
open_now = fit.open_requests(requests, st.session_state["as_of"])
cards = st.columns(4)
cards[0].metric("Requests made", f"{made.height:,}", border=True,
                help="Requests to change therapist made in the period, from clients of the chosen therapists.")
cards[1].metric("Completed", f"{status.get('completed', 0):,}", border=True)
cards[2].metric("Declined or withdrawn", f"{status.get('declined', 0) + status.get('withdrawn', 0):,}", border=True)
cards[3].metric("Open now", f"{open_now.height:,}", border=True, help="Still open at the end of the period.")

if made.height:
    st.subheader("Requests over time, by reason")
    st.plotly_chart(figure(rate_charts.category_months, fit.over_time(requests), (filters.start, filters.end)),
                    width="stretch", theme=None, key="fit_months_chart",
                    alt="Requests to change therapist per month, by reason")
    left, right = st.columns([3, 2], vertical_alignment="center")
    left.plotly_chart(figure(rate_charts.category_bars, fit.by_category(requests)), width="stretch", theme=None,
                      key="fit_category_chart", alt="Requests to change therapist by reason")
    right.caption("Reasons are the client's own words, grouped by keywords into personality/fit, approach, "
                  "practical/scheduling, identity/culture and other. The grouping is a reading aid: the original "
                  "text is in the table.")
    if client_rows:
        show_table(fit.requests_table(requests), "switch requests", filters, key="fit_requests", aggregate=False)
    else:
        st.caption("Your role does not include client-level lists, so the requests themselves are not listed.")

    st.subheader("From → to")
    view = st.radio("Show flows as", ["Matrix", "Sankey"], horizontal=True, key="fit_flow_view")
    flows = fit.flows(requests)
    st.plotly_chart(figure(rate_charts.flow_matrix if view == "Matrix" else rate_charts.flow_sankey, flows),
                    width="stretch", theme=None, key="fit_flow_chart",
                    alt="Requests to change therapist: from which therapist, to which")
    st.caption(fit.flows_note(view))

    st.subheader("After a switch")
    summary = fit.outcome_summary(requests)
    if not summary["completed"]:
        st.caption("No switch made in this period has been completed yet.")
    else:
        st.markdown(fit.change_text(summary) + f" Of {counted(summary['started'], 'client')} who have seen the new "
                    f"therapist, **{summary['stayed']}** stayed (still attending, or ended without dropping out).")
        st.plotly_chart(figure(rate_charts.outcome_bars, fit.outcome_counts(requests), fit.OUTCOMES), width="stretch",
                        theme=None, key="fit_outcome_chart",
                        alt="What happened after each completed switch")
        if client_rows:
            show_table(fit.outcomes_table(requests), "after a switch", filters, key="fit_outcomes", aggregate=False)
else:
    st.caption("No request was made in this period; open requests from earlier are listed below.")

st.subheader("Open requests")
if open_now.is_empty():
    st.caption("No request to change therapist is open.")
elif not client_rows:
    st.caption(f"{open_now.height:,} open. Your role does not include client-level lists.")
else:
    st.caption("Oldest first. The recent SRS is the mean of the client's last (up to) three ratings with the "
               "current therapist.")
    show_table(open_now, "open switch requests", filters, key="fit_open", aggregate=False)
