"""Attendance: where and when appointments are missed, each rate with its denominator and interval."""

import streamlit as st

from attune import attendance, rate_charts
from attune.charts import BLUE, ORANGE, PURPLE
from attune.formatting import MISSING, card_rate, counted, period, rate
from attune.rate_charts import RateSeries
from attune.ui import sidebar
from attune.ui.cache import figure, load, prefetch
from attune.ui.empty import stop_empty
from attune.ui.tables import show_table

NO_SHOW = RateSeries("no_show", "No-show", "no_show", "kept", BLUE)
LATE = RateSeries("late_cancel", "Late cancellation", "late_cancel", "kept", ORANGE)
CLINICIAN = RateSeries("clinician_cancel", "Cancelled by clinician", "clinician_cancel", "booked", PURPLE)

filters = sidebar.render()
client_rows = st.session_state["viewer"].sees_client_rows
st.title("Attendance")
st.caption(period(filters.start, filters.end))
with st.expander("Definitions: no-show rate = no-shows ÷ (attended + no-shows + late cancellations)"):
    st.markdown(attendance.DEFINITIONS)

# Both run while the breakdown is drawn. The grain's radio is further down; its value is in the session state.
pair_rows = (attendance.client_counts, filters, 2)
prefetch((attendance.trend, filters, st.session_state.get("attendance_grain", next(iter(attendance.GRAINS)))),
         pair_rows)
frame = load(attendance.breakdown, filters)
total = attendance.totals(frame)
if total is None:
    stop_empty("No appointments in this period for the chosen filters.",
               "No data loaded yet. Import a sessions (appointments) export on the Data page to see attendance.")

visits = {row["level"]: row for row in attendance.dimension(frame, "visit").iter_rows(named=True)}
first, follow = visits.get("First appointment"), visits.get("Follow-up")
top, bottom = st.columns(3), st.columns(3)
top[0].metric("No-show rate", card_rate(total["no_show"], total["kept"]), border=True,
              help="No-shows ÷ (attended + no-shows + late cancellations).")
top[1].metric("Late-cancellation rate", card_rate(total["late_cancel"], total["kept"]), border=True,
              help="Late cancellations ÷ (attended + no-shows + late cancellations).")
top[2].metric("Cancelled by clinician", card_rate(total["clinician_cancel"], total["booked"]), border=True,
              help="Sessions the therapist or clinic cancelled ÷ all bookings. Not counted as the client's miss.")
bottom[0].metric("First-visit no-shows", card_rate(first["no_show"], first["kept"]) if first else MISSING, border=True,
                 help="Session 1 of a client with a therapist. First appointments are missed far more often than "
                      "follow-ups, so they are reported apart.")
bottom[1].metric("Follow-up no-shows", card_rate(follow["no_show"], follow["kept"]) if follow else MISSING, border=True,
                 help="Sessions 2 and later.")
bottom[2].metric("Appointments booked", f"{total['booked']:,}", border=True,
                 help="Every booking in the period, whatever its outcome.")

st.subheader("Where and when")
choice = st.radio("Break down by", list(attendance.DIMENSIONS), format_func=attendance.DIMENSIONS.__getitem__,
                  horizontal=True, key="attendance_dimension")
rows = attendance.dimension(frame, choice)
label = attendance.DIMENSIONS[choice]
horizontal = choice in ("therapist", "site", "service")
charted = rate_charts.standing_out(rows, NO_SHOW.prefix)
st.plotly_chart(figure(rate_charts.rate_intervals, charted, [NO_SHOW, LATE], horizontal=horizontal,
                                           reference=total["no_show_rate"], reference_label="clinic no-shows"),
                width="stretch", theme=None, key="attendance_breakdown_chart",
                alt=f"No-show and late-cancellation rates by {label.lower()}, with 95% intervals")
st.caption(rate_charts.standing_out_note(charted, rows, f"{label.lower()}s")
           + "Dots are rates, bars their 95% intervals; n is the denominator (attended + no-shows + late "
           "cancellations). Hollow dots: fewer than 20 appointments. "
           + ("Session 1 is the first appointment with that therapist." if choice == "session" else ""))
show_table(attendance.rate_table(rows, label), f"attendance by {label.lower()}", filters,
           key="attendance_breakdown")

st.subheader("No-shows by weekday and hour")
grid = attendance.dimension(frame, "weekday_hour")
st.plotly_chart(figure(rate_charts.weekday_hour_heatmap, grid, attendance.SMALL_DENOMINATOR),
                width="stretch", theme=None,
                key="attendance_heatmap",
                alt="No-show rate by weekday and hour")
st.caption(f"Each cell: no-show rate and its denominator. * fewer than {attendance.SMALL_DENOMINATOR} "
           "appointments: read with care.")

st.subheader("Over time")
grain = st.radio("Group by", list(attendance.GRAINS), format_func=attendance.GRAINS.__getitem__, horizontal=True,
                 key="attendance_grain")
trend = load(attendance.trend, filters, grain)  # the prefetched one: the same grain
st.plotly_chart(figure(rate_charts.rate_trend, trend, [NO_SHOW, LATE, CLINICIAN],
                                       tick_format="%d %b<br>%Y" if grain == "week" else "%b<br>%Y"),
                width="stretch", theme=None, key="attendance_trend_chart",
                alt="No-show, late-cancellation and clinician-cancellation rates over time")
st.caption("Clinician cancellations are a share of all bookings; the other two of attended + no-shows + late "
           "cancellations. Hollow points: small denominators.")

pairs = load(*pair_rows)

st.subheader("Cancelled by the clinician")
st.markdown(f"**{rate(total['clinician_cancel'], total['booked'])}** bookings were cancelled by the therapist or "
            "clinic. These are kept apart from the client's misses: not the client's doing, but repeated ones strain "
            "the relationship.")
therapists = attendance.dimension(frame, "therapist")
charted = rate_charts.standing_out(therapists, CLINICIAN.prefix)
st.plotly_chart(figure(rate_charts.rate_intervals, charted, [CLINICIAN], reference=total["clinician_cancel_rate"]),
                width="stretch", theme=None, key="attendance_clinician_chart",
                alt="Clinician cancellation rate per therapist, with 95% intervals")
if note := rate_charts.standing_out_note(charted, therapists, where="the breakdown by therapist above lists them all"):
    st.caption(note)
cancelled = attendance.repeated_clinician_cancels(pairs)
if cancelled.is_empty():
    st.caption("No client had two or more sessions cancelled by the clinician in this period.")
elif not client_rows:
    st.markdown(f"**{counted(cancelled.height, 'client')}** had two or more sessions cancelled by the clinician.")
else:
    st.markdown(f"**{counted(cancelled.height, 'client')}** had two or more sessions cancelled by the clinician:")
    show_table(cancelled, "clinician cancellations by client", filters, key="attendance_clinician", aggregate=False)

st.subheader("Clients with repeated no-shows")
least = st.slider("At least this many no-shows in the period", 2, 8, 2, key="attendance_min_no_shows")
repeated = attendance.repeated_no_shows(pairs, least)
if repeated.is_empty():
    st.caption(f"No client missed {least} or more appointments with the same therapist in this period.")
elif not client_rows:
    st.markdown(f"**{counted(repeated.height, 'client')}** missed {least} or more appointments with the same "
                "therapist. Your role does not include client-level lists.")
else:
    st.markdown(f"**{counted(repeated.height, 'client')}** missed {least} or more appointments with the same therapist "
                "(listed per client and therapist; those still missing since their last attended session first).")
    show_table(repeated, "repeated no-shows", filters, key="attendance_repeated", aggregate=False)
