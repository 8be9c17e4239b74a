"""Data: import a clinic's exports (any system's columns, mapped once), see what was rejected and why,
and undo an import."""

import streamlit as st

from attune.ui import data_import, sidebar
from attune.ui.access import require

sidebar.render(with_filters=False)
viewer = st.session_state["viewer"]
st.title("Data")
require(viewer.can_import, "importing data and undoing imports (directors and analysts)")
st.caption("Upload the exports your clinic's systems produce: appointments (sessions), feedback scores (SRS/ORS), "
           "episodes of care, requests to change therapist, the therapist roster. CSV or Excel (.xlsx). Nothing is "
           "written until you press Import, and every import can be undone.")

files = st.file_uploader("Exports", type=["csv", "txt", "tsv", "xlsx"], accept_multiple_files=True,
                         key="data_upload", help="Several files at once are fine; the roster is imported first.")

if files:
    uploads = data_import.saved_uploads(files)
    plans = [data_import.file_panel(name, path, expanded=len(uploads) <= 3) for name, path in uploads]
    ready = [p for p in plans if p.ready]
    on_problems = st.radio(
        "When some rows have problems", ["reject", "keep_valid"], horizontal=True, key="data_on_problems",
        format_func={"reject": "Reject the whole file (nothing is imported)",
                     "keep_valid": "Import the valid rows, set the rejected ones aside"}.__getitem__,
    )
    waiting = len(plans) - len(ready)
    if waiting:
        st.caption(f"{waiting} file{'s' if waiting > 1 else ''} still need{'' if waiting > 1 else 's'} a choice "
                   "above before it can be imported.")
    label = f"Import {len(ready)} file{'s' if len(ready) != 1 else ''}"
    if st.button(label, type="primary", disabled=not ready, key="data_import", icon=":material/upload:"):
        st.session_state["data_results"] = data_import.run_imports(ready, on_problems == "keep_valid")
        st.rerun()
else:
    st.info("Choose one or more export files to begin. Columns are recognised by name (common names from "
            "practice-management and feedback systems included); anything else you map once and can save.")

if st.session_state.get("data_results"):
    st.subheader("Last import")
    data_import.show_results(st.session_state["data_results"])

st.subheader("Import history")
message = st.session_state.pop("data_undo_message", None)
if message:
    (st.success if message[0] == "success" else st.error)(message[1])
data_import.history()
