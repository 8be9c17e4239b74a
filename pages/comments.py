"""In clients' words: comments and switch-request reasons grouped into themes by an open, editable keyword list."""

import polars as pl
import streamlit as st

from attune import access, charts, themes
from attune.formatting import period, rate
from attune.ui import sidebar
from attune.ui.cache import cursor, figure, load
from attune.ui.empty import say_empty
from attune.ui.tables import show_table

filters = sidebar.render()
viewer = st.session_state["viewer"]
st.title("In clients' words")
st.caption("Feedback comments and the reasons given with requests to change therapist, "
           f"{period(filters.start, filters.end)}, grouped into the themes clients use when a relationship is not "
           "working. The grouping is a keyword list you can read and edit at the bottom of this page, not a model.")
if message := st.session_state.pop("comments_message", None):
    st.success(message)

keywords = load(themes.load_keywords)
tagged = load(themes.comments, filters, keywords)
if tagged.is_empty():
    say_empty("No comments or switch-request reasons in this period for the chosen filters.",
              "No data loaded yet. Import your clinic's feedback (with its comment column) and switch requests on "
              "the Data page.")
else:
    with_theme = int((tagged["themes"].list.len() > 0).sum())
    st.markdown(f"**{tagged.height:,}** comments and reasons; **{rate(with_theme, tagged.height)}** match a theme.")
    st.subheader("By therapist")
    counts = themes.by_therapist(tagged)
    st.caption("Select a therapist to read their clients' comments below; select nobody for all therapists.")
    show_table(counts.drop("therapist_id"), "comment-themes-by-therapist", filters, key="comments_counts",
               on_select="rerun", selection_mode="single-row")
    st.subheader("Over time")
    st.plotly_chart(figure(charts.theme_counts, themes.over_time(tagged), [t.label for t in themes.THEMES],
                           (filters.start, filters.end)),
                    width="stretch", theme=None, key="comments_chart", alt="Comments per theme per month")

    st.subheader("The comments")
    theme = st.pills("Theme", [t.key for t in themes.THEMES], format_func=lambda k: themes.THEME_BY_KEY[k].label,
                     key="comments_theme", help="One click shows the comments behind a count.")
    picked = st.session_state.get("comments_counts_table", {}).get("selection", {}).get("rows", [])
    therapist = counts["therapist_id"][picked[0]] if picked and picked[0] < counts.height else None
    shown = themes.matching(tagged, theme, therapist)
    who = f"{counts['Therapist'][picked[0]]}'s clients" if therapist else "all therapists' clients"
    what = themes.THEME_BY_KEY[theme].label.lower() if theme else "any theme"
    st.caption(f"{shown.height:,} comments about {what}, from {who}.")
    if not viewer.sees_comments:
        st.warning("Your role does not include client comments; the counts above are all it shows. Ask a clinic "
                   "director if you need them.")
    elif shown.is_empty():
        st.caption("No comment matches.")
    else:
        show_table(shown, "comments", filters, key="comments_matching", aggregate=False, column_config={
            "In the client's words": st.column_config.TextColumn(width="large"),
            "SRS": st.column_config.NumberColumn(format="%.1f"),
            "Date": st.column_config.DateColumn(format="YYYY-MM-DD")})

st.subheader("Keyword lists")
with st.expander("The phrases behind each theme (edit)", expanded=tagged.is_empty()):
    st.markdown("A phrase **as written** counts unless a negation comes just before it (*I didn't feel judged* is "
                "not *feeling judged*). A phrase **only when negated** counts only after a negation (*I didn't feel "
                "listened to* is *not feeling heard*; *I felt heard* is not). Negations: not, never, no, nobody, "
                "didn't, don't, wasn't, … up to four words before the phrase, in the same clause. A trailing * "
                "matches any ending (*judg\\**).")
    edited = st.data_editor(themes.editor_view(keywords), num_rows="dynamic", hide_index=True, width="stretch",
                            key="comments_keywords", alt="Theme keywords", column_config={
                                "theme": st.column_config.SelectboxColumn(
                                    "Theme", options=[t.label for t in themes.THEMES], required=True),
                                "phrase": st.column_config.TextColumn("Phrase", required=True, max_chars=60),
                                "signal": st.column_config.SelectboxColumn(
                                    "Counts", options=[themes.AS_WRITTEN, themes.WHEN_NEGATED], required=True)})
    save, restore, _ = st.columns([1, 1, 3])
    if save.button("Save keywords", type="primary", key="comments_save", disabled=not viewer.is_director):
        try:
            with cursor() as cur:
                n = themes.save_keywords(cur, pl.DataFrame(edited), updated_by=viewer.identity)
                access.record(cur, viewer, "settings", f"comment theme keywords: {n} phrases")
        except themes.KeywordError as exc:
            st.error(str(exc))
        else:
            st.session_state.pop("comments_keywords", None)  # the editor's changes are now the stored list
            st.session_state["comments_message"] = f"Saved the keyword lists ({n} phrases)."
            st.rerun()
    if restore.button("Restore defaults", key="comments_restore", disabled=not viewer.is_director):
        with cursor() as cur:
            themes.restore_defaults(cur)
            access.record(cur, viewer, "settings", "comment theme keywords: defaults restored")
        st.session_state.pop("comments_keywords", None)
        st.session_state["comments_message"] = "Restored the default keyword lists."
        st.rerun()
    if not viewer.is_director:
        st.caption("Only a clinic director can save the keyword lists.")
