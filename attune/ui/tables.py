"""Show a table with its download buttons: every table on every page goes through `show_table`."""

from __future__ import annotations

import polars as pl
import streamlit as st

from attune import exports, suppression
from attune.filters import Filters
from attune.ui.cache import load

ROW_LEVEL_NOT_ALLOWED = "Downloads of row-level tables are limited to roles allowed to see row-level data."


def show_table(frame: pl.DataFrame, name: str, filters: Filters | None, key: str, *, aggregate: bool = True,
               suppression_spec: suppression.Spec | None = None, row_level_allowed: bool = True,
               **dataframe_kwargs) -> None:
    """Render `frame` and offer it as CSV and Excel, the filters written in the file name and a header line.

    aggregate: the table counts people or sessions per group; its downloads suppress counts below the privacy
        threshold (and the cells that would reveal them). Pass False for row-level tables (one row per session,
        client or request), which are exported as shown.
    row_level_allowed: whether the viewer's role may download row-level data (the sign-in feature decides);
        when False a row-level table is shown without download buttons.
    The files are built only when a button is clicked.
    """
    st.dataframe(frame, hide_index=True, width="stretch", key=f"{key}_table", **dataframe_kwargs)
    if not aggregate and not row_level_allowed:
        st.caption(ROW_LEVEL_NOT_ALLOWED)
        return
    threshold = load(suppression.min_count) if aggregate else suppression.MIN_COUNT

    def prepared() -> exports.Export:
        return exports.prepare(frame, name, filters, aggregate=aggregate, threshold=threshold, spec=suppression_spec)

    left, right, note = st.columns([1, 1, 4], vertical_alignment="center")
    left.download_button(
        "CSV", lambda: exports.export_csv(prepared()), file_name=exports.export_name(name, filters, "csv"),
        mime="text/csv", key=f"{key}_csv", icon=":material/download:", on_click="ignore",
        help="Download this table as CSV (the filters are written in the first lines).")
    right.download_button(
        "Excel", lambda: exports.export_xlsx(prepared()), file_name=exports.export_name(name, filters, "xlsx"),
        mime=exports.XLSX_MIME, key=f"{key}_xlsx", icon=":material/download:", on_click="ignore",
        help="Download this table as an Excel workbook (the filters are written above the table).")
    if aggregate:
        note.caption(f"Downloads hide counts below {threshold} and the cells that would reveal them.")
