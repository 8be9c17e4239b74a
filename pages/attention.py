"""Needs attention: the relationships to discuss this week and why, each client's history, the review log."""

from datetime import timedelta

import streamlit as st

from attune import access, attention, charts, ruptures, settings, themes
from attune.formatting import day, plain, rate
from attune.ui import sidebar
from attune.ui.access import require
from attune.ui.cache import cursor, figure, load, prefetch
from attune.ui.tables import show_table

SCORE_COLUMNS = ("SRS", "SRS relationship", "SRS goals and topics", "SRS approach or method", "SRS overall", "ORS")

filters = sidebar.render()
viewer, as_of = st.session_state["viewer"], st.session_state["as_of"]
st.title("Needs attention")
require(viewer.sees_client_rows, "client-level lists (Needs attention)")
if load(attention.latest_day, filters.visible_therapists) is None:
    st.info("No data loaded yet. Import your clinic's CSV exports (sessions, feedback, switch requests) on the Data "
            "page; the list of relationships to discuss appears here.")
    st.stop()

values = load(settings.load)
listing = (attention.weekly_list, as_of, values, filters, True)
considered = (attention.relationships, as_of, values, filters)
prefetch(listing, considered)
st.caption(f"As of {day(as_of)}, the newest session. Relationships with a session in the last "
           f"{values['active_days']} days; thresholds are on the Settings page. The sidebar's therapist, team, "
           "site and service filters apply; its period does not (the list is always about the latest data).")
if message := st.session_state.pop("attention_message", None):
    st.success(message)

left, middle, right = st.columns([3, 2, 2], vertical_alignment="bottom")
kinds = left.multiselect("Flag kinds", [r.kind for r in attention.RULES], format_func=attention.label,
                         key="attention_kinds", placeholder="All kinds")
order = middle.radio("Order", ["By therapist", "By priority"], key="attention_order", horizontal=True)
show_discussed = right.toggle("Show discussed ones", key="attention_show_discussed",
                              help="Relationships already discussed are hidden until new data comes in or their "
                                   "follow-up date arrives; switch this on to list them too.")

everything = load(*listing)
active = load(*considered).height
pending = everything.filter(~everything["discussed"])
listed = attention.with_kinds(everything if show_discussed else pending, kinds)
listed = attention.by_therapist(listed) if order == "By therapist" else listed
discussed = everything.height - pending.height
st.markdown(f"**{pending.height:,}** relationships to discuss: {rate(pending.height, active)} active "
            f"relationships. {discussed:,} already discussed (hidden until new data or their follow-up date)."
            if active else "No active relationships for these filters.")

with st.expander("How the list is ordered and what each flag means"):
    st.markdown("Priority: the sum of each relationship's flag severities (high 3, medium 2, low 1), then its "
                "most serious flag, then the newest flag. Marking a relationship discussed takes it off the list "
                "until new data about it is imported or its follow-up date arrives.\n\n"
                + "\n".join(f"- **{r.label}**: {r.description}" for r in attention.RULES))

table_key = f"attention_list_{attention.rows_key(listed)}"
if listed.is_empty():
    st.success("Nothing needs attention for these filters." if pending.is_empty() or not kinds
               else "No relationship has the chosen kinds of flag.")
else:
    # A meeting reads the top of the list (its first ROWS_SHOWN rows); the rest is a filter or a download away.
    show_table(attention.table_view(listed), "needs-attention", filters, key=table_key, aggregate=False,
               on_select="rerun", selection_mode="single-row", column_config={
                   "SRS trend": st.column_config.LineChartColumn("SRS trend", width="small", y_min=20, y_max=40),
                   "Latest SRS": st.column_config.NumberColumn(format="%.1f"),
                   "Why": st.column_config.TextColumn(width=560, help="Each flag's reason; the client history below "
                                                     "has them in full."),
               })

# The client to look at: a table row, the selectbox, or ?client=<id> in the URL (links from other pages).
picked_rows = st.session_state.get(f"{table_key}_table", {}).get("selection", {}).get("rows", [])
if picked_rows and picked_rows != st.session_state.get("attention_rows_seen") and picked_rows[0] < listed.height:
    st.session_state["attention_client"] = listed["client_id"][picked_rows[0]]
st.session_state["attention_rows_seen"] = picked_rows
linked = st.query_params.get("client")
if linked and linked != st.session_state.get("attention_link_seen"):
    st.session_state["attention_client"] = linked
st.session_state["attention_link_seen"] = linked
options = list(dict.fromkeys(listed["client_id"].to_list()))
chosen = st.session_state.get("attention_client")
if chosen and chosen not in options:
    options.insert(0, chosen)
if not options:
    st.stop()

st.subheader("Client history")
client = st.selectbox("Client", options, key="attention_client")
st.query_params["client"] = st.session_state["attention_link_seen"] = client  # shareable; not a new link
rows = everything.filter(everything["client_id"] == client)
seen = filters.visible_therapists
flag_rows = (attention.client_flags, client, as_of, values, seen)
history_rows = (attention.client_sessions, client, as_of, seen)
switch_rows = (attention.client_switches, client, as_of, seen)
rupture_rows = (ruptures.for_client, client, as_of, values, seen)
word_rows = (themes.client_words, client, as_of, seen)
review_rows = (attention.client_reviews, client, seen)
prefetch(flag_rows, history_rows, switch_rows, rupture_rows, review_rows)
if viewer.sees_comments:
    prefetch(word_rows)
raised = load(*flag_rows)
for flag in raised.iter_rows(named=True):
    st.markdown(f"- {flag['reason']} *({attention.SEVERITY[flag['severity']]})*")
if raised.is_empty():
    st.caption(f"No flags for {plain(client)} as of {day(as_of)}.")

history = load(*history_rows)
history = history if viewer.sees_comments else history.drop("comment")
switches = load(*switch_rows)
broken = load(*rupture_rows)
if history.is_empty():
    st.info(f"No sessions or ratings for client {plain(client)} up to {day(as_of)} (or none you may see).")
else:
    st.plotly_chart(figure(charts.client_timeline, history, switches, values["srs_cutoff"], values["srs_item_cutoff"],
                                           values["ors_cutoff"], as_of, broken), width="stretch", theme=None,
                    key="attention_timeline",
                    alt=f"Session by session SRS, ORS and attendance of client {client}")
    if not broken.is_empty():
        st.markdown("**Ruptures**\n" + "\n".join(f"- {line}" for line in ruptures.client_reasons(broken)))
    words = load(*word_rows) if viewer.sees_comments else None
    if words is not None and not words.is_empty():
        st.markdown("**In the client's words**")
        show_table(themes.words_view(words), f"client-{client}-words", None, key="attention_words", aggregate=False,
                   column_config={"SRS": st.column_config.NumberColumn(format="%.1f"),
                                  "Date": st.column_config.DateColumn(format="YYYY-MM-DD")})
    with st.expander(f"Sessions ({history.height})"):
        show_table(attention.sessions_view(history), f"client-{client}-sessions", None, key="attention_sessions",
                   aggregate=False, column_config={
                       "When": st.column_config.DatetimeColumn(format="YYYY-MM-DD HH:mm"),
                       **{c: st.column_config.NumberColumn(format="%.1f") for c in SCORE_COLUMNS}})
    if not switches.is_empty():
        st.markdown("**Requests to change therapist**")
        show_table(attention.switches_view(switches), f"client-{client}-switch-requests", None,
                   key="attention_switches", aggregate=False,
                   column_config={"Requested": st.column_config.DateColumn(format="YYYY-MM-DD")})

st.markdown("**Review log**")
log = load(*review_rows)
if log.is_empty():
    st.caption("Not discussed yet.")
else:
    show_table(attention.reviews_view(log), f"client-{client}-reviews", None, key="attention_reviews", aggregate=False,
               column_config={"Discussed": st.column_config.DatetimeColumn(format="YYYY-MM-DD HH:mm"),
                              "Follow up on": st.column_config.DateColumn(format="YYYY-MM-DD")})

if rows.is_empty():
    st.caption(f"{plain(client)} is not on this week's list, so there is nothing to mark as discussed.")
    st.stop()
names = dict(zip(rows["therapist_id"], rows["therapist_name"], strict=True))
if not viewer.local:
    st.session_state.setdefault("attention_by", viewer.name)
with st.form("attention_review", clear_on_submit=True):
    st.markdown("**Mark as discussed**")
    therapist = st.selectbox("Relationship with", list(names), format_func=lambda t: f"{names[t]} ({t})",
                             key="attention_review_therapist")
    note = st.text_area("Note", key="attention_note", placeholder="What was agreed, who does what")
    follow_up = st.date_input("Follow up on (optional)", value=None, min_value=as_of + timedelta(days=1),
                              key="attention_follow_up", format="YYYY-MM-DD")
    by = st.text_input("Discussed by", key="attention_by")
    if st.form_submit_button("Mark as discussed", type="primary", key="attention_mark"):
        reasons = rows.filter(rows["therapist_id"] == therapist)["reasons"].to_list()
        try:
            with cursor() as cur:
                attention.mark_discussed(cur, client, therapist, as_of=as_of, note=note, follow_up=follow_up,
                                         reviewed_by=by, reasons=reasons[0] if reasons else [])
                access.record(cur, viewer, "review", f"discussed client {client} with {therapist}")
        except ValueError as exc:
            st.error(str(exc))
        else:
            st.session_state["attention_message"] = (
                f"Marked {client} with {names[therapist]} as discussed. It returns when new data about it is "
                "imported" + (f" or on {day(follow_up)}." if follow_up else "."))
            st.rerun()
