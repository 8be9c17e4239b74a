"""Settings: the attention rules' thresholds, with a preview of how many relationships each would flag."""

import polars as pl
import streamlit as st

from attune import access, attention, settings
from attune.formatting import day, rate
from attune.ui import sidebar
from attune.ui.cache import cursor, load
from attune.ui.tables import show_table

filters = sidebar.render()
viewer, as_of = st.session_state["viewer"], st.session_state["as_of"]
st.title("Settings")
st.caption("Thresholds of the rules behind the Needs attention list. Saved values apply to everyone; "
           "each default and where it comes from is listed below.")

stored = load(settings.load)
for t in settings.THRESHOLDS:
    st.session_state.setdefault(f"settings_{t.key}", stored[t.key])


def _restore_defaults() -> None:
    for key, value in settings.defaults().items():
        st.session_state[f"settings_{key}"] = value


if message := st.session_state.pop("settings_message", None):
    st.success(message)

columns = st.columns(2)
for i, t in enumerate(settings.THRESHOLDS):
    kind = int if t.whole else float
    columns[i % 2].number_input(f"{t.label} ({t.unit})", min_value=kind(t.low), max_value=kind(t.high),
                                step=kind(t.step), key=f"settings_{t.key}", format="%d" if t.whole else "%.1f",
                                help=f"{t.meaning}\n\n{t.source}")
edited = {t.key: st.session_state[f"settings_{t.key}"] for t in settings.THRESHOLDS}
changed = [t.label for t in settings.THRESHOLDS if edited[t.key] != stored[t.key]]

save, restore, _ = st.columns([1, 1, 3])
if save.button("Save", type="primary", key="settings_save", disabled=not changed or not viewer.is_director):
    try:
        with cursor() as cur:
            settings.save(cur, edited, updated_by=viewer.identity)
            access.record(cur, viewer, "settings", "; ".join(f"{k} = {edited[k]:g}" for k in edited
                                                             if edited[k] != stored[k]))
        with st.spinner("Updating the attention list for the new thresholds…"), cursor() as cur:
            attention.refresh_stored(cur)
    except settings.SettingsError as exc:
        st.error(str(exc))
    else:
        st.session_state["settings_message"] = "Saved: " + ", ".join(changed) + "."
        st.rerun()
restore.button("Restore defaults", key="settings_restore", on_click=_restore_defaults)
if not viewer.is_director:
    st.caption("Only a clinic director can save thresholds; try values here to see what they would flag.")
if changed:
    st.caption("Not saved yet: " + ", ".join(changed) + ". The preview below already uses the new values.")

st.subheader("How many relationships these values would flag")
if load(attention.latest_day, filters.visible_therapists) is None:
    st.info("No data loaded yet: import sessions and feedback on the Data page to see what each threshold would "
            "flag.")
    st.stop()
preview = load(attention.preview, as_of, edited, filters)
active = preview["active"][0]
total = preview.filter(preview["flag_kind"] == "any")["flagged"][0]
st.caption(f"On the data as of {day(as_of)}, for the sidebar's therapists, teams, sites and services; before "
           "anything is marked discussed.")
share = total / active if active else 0.0
low, high = settings.GUIDANCE_LOW, settings.GUIDANCE_HIGH
verdict = ("within" if low <= share <= high else "above" if share > high else "below")
note = (f"The weekly list would hold **{rate(total, active)}** active relationships. Published feedback systems "
        f"flag roughly {low:.0%}–{high:.0%} of clients at each assessment, a list a meeting can work through; "
        f"these values are **{verdict}** that range.")
(st.info if verdict == "within" or not active else st.warning)(note)
shown = pl.DataFrame({
    "Rule": preview["rule"], "Thresholds": preview["thresholds"], "Relationships flagged": preview["flagged"],
    "Share of active relationships": [rate(f, a) for f, a in zip(preview["flagged"], preview["active"], strict=True)],
})
show_table(shown, "settings-preview", filters, key="settings_preview")

with st.expander("Where the defaults come from"):
    show_table(settings.describe(), "settings-defaults", None, key="settings_defaults", aggregate=False,
               column_config={"Meaning": st.column_config.TextColumn(width="large"),
                              "Source": st.column_config.TextColumn(width="large")})
