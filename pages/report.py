"""Meeting report: a preview of the weekly report for the sidebar's filters, and the one-click download."""

import dataclasses
from datetime import datetime

import streamlit as st

from attune import charts, glossary, report
from attune.exports import export_name
from attune.filters import SRS_CUTOFF
from attune.formatting import counted, period
from attune.ui import sidebar
from attune.ui.cache import figure, load
from attune.ui.cards import headline_cards
from attune.ui.empty import stop_empty
from attune.ui.tables import record_export, show_table

filters = sidebar.render()
client_rows = st.session_state["viewer"].sees_client_rows
st.title("Meeting report")
st.caption(f"{period(filters.start, filters.end)}, {report.scope_text(filters)}. The report follows the filters in "
           "the sidebar: for the weekly meeting choose your team and *Last 4 weeks*.")

data = load(report.gather, filters)
if data.empty:
    stop_empty("No sessions in this period for the chosen filters.",
               "No data loaded yet. Import your clinic's CSV exports on the Data page, then come back for the "
               "report.")


def report_html() -> bytes:
    stamped = dataclasses.replace(data, generated_at=datetime.now().replace(microsecond=0))
    return report.render(stamped, client_rows=client_rows).encode()


file_name = export_name("meeting report", filters, "html")
st.download_button("Download the meeting report", report_html, file_name=file_name, mime="text/html", type="primary",
                   icon=":material/summarize:", on_click=record_export, args=(file_name,), key="report_download")
st.caption("One self-contained HTML file: it opens in any browser without a network and prints on A4 or Letter "
           "(the browser's Print, or *Save as PDF*). From the command line: `attune report --team NAME --out FILE`.")

st.subheader("Headline numbers")
headline_cards(data.headlines)

st.subheader(data.attention.title)
if data.attention.note:
    st.info(data.attention.note)
if data.attention.html and client_rows:
    with st.container(height=420, key="report_attention_list"):
        st.html(report.preview_html(data.attention))
elif data.attention.html:
    st.caption(report.ROWS_LEFT_OUT)

st.subheader("Lowest mean SRS this period")
if data.therapists.is_empty():
    st.info("No rated sessions in this period.")
else:
    show_table(report.lowest_therapists(data), "lowest mean srs", filters, key="report_lowest")
    drawn = report.charted_therapists(data)
    st.plotly_chart(figure(charts.therapist_srs, drawn, data.clinic_mean, SRS_CUTOFF, glossary.MIN_CASELOAD),
                    width="stretch", theme=None, key="report_therapists_chart",
                    alt="Mean SRS per therapist with 95% intervals, against the clinic mean")
    st.caption(f"{report.therapists_chart_note(data, drawn)}Bars: 95% intervals, clients as the units. Hollow dots: "
               f"fewer than {glossary.MIN_CASELOAD} clients.")

st.subheader("Week by week")
st.plotly_chart(figure(charts.weekly_trend, data.trend, SRS_CUTOFF), width="stretch", theme=None, key="report_trend",
                alt="Mean SRS and no-show rate per week")

st.subheader("Open requests to change therapist")
if data.switches.is_empty():
    st.caption("No request to change therapist is open at the end of the period.")
elif not client_rows:
    st.caption(f"{counted(data.switches.height, 'request')} open at the end of the period; client-level rows are not "
               "shown for your role.")
else:
    st.caption("Asking for a different therapist is often healthy self-advocacy about fit.")
    show_table(report.switches_table(data), "open switch requests", filters, key="report_switches", aggregate=False)
