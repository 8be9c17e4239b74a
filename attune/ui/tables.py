"""Show a table with its download buttons: every table on every page goes through `show_table`."""

from __future__ import annotations

import polars as pl
import streamlit as st

from attune import access, exports, suppression
from attune.filters import Filters
from attune.formatting import MISSING
from attune.ui.cache import cursor, load

ROW_LEVEL_NOT_ALLOWED = "Downloads of row-level tables are limited to roles allowed to see client-level rows."
# The rows of a row-level table sent to the browser unless the page says otherwise. Every row shown is sent on
# every rerun: at 10M sessions the ruptures list alone was 14 MB and took the page 7 s to appear.
ROWS_SHOWN = 1_000
# For a whole-number column that names something (a batch, a line, an event) rather than counts: no separators.
PLAIN_NUMBER = st.column_config.NumberColumn(format="%d")
ONE_DECIMAL = st.column_config.NumberColumn(format="%.1f")  # 96.0 beside 96.3, not 96


def table_title(name: str) -> str:
    """A table's export name as a title: "needs-attention" -> "Needs attention"."""
    words = name.replace("-", " ").strip()
    return words[:1].upper() + words[1:]


def show_table(frame: pl.DataFrame, name: str, filters: Filters | None, key: str, *, aggregate: bool = True,
               suppression_spec: suppression.Spec | None = None, row_level_allowed: bool = True,
               max_rows: int | None = None, **dataframe_kwargs) -> None:
    """Render `frame` and offer it as CSV and Excel, the filters written in the file name and a header line.

    aggregate: the table counts people or sessions per group; its downloads suppress counts below the privacy
        threshold and the cells that would reveal them (see attune.suppression; `suppression_spec` says which
        columns are counts when the defaults do not fit). Pass False for row-level tables (one row per
        session, client, request or user), which are exported as shown.
    row_level_allowed: the page's own say on row-level downloads. They are offered only when it is True and
        the signed-in viewer's role sees client-level rows.
    max_rows: show only the first rows of a long table (the downloads still hold every row). Row-level tables
        show the first ROWS_SHOWN unless told otherwise; aggregated ones (a row per therapist, week, group)
        are shown whole unless told otherwise. Every row shown is sent to the browser on every rerun: 65,000
        rows are 19 MB.
    The files are built only when a button is clicked; each download is written to the audit trail.
    An empty cell shows MISSING, as the pages write a figure they do not have (the grid's default is "None",
    which reads as a value: "Last rating: None").
    """
    limit = max_rows if max_rows is not None else (None if aggregate else ROWS_SHOWN)
    shown = frame if limit is None else frame.head(limit)
    dataframe_kwargs["column_config"] = with_separators(shown, dataframe_kwargs.get("column_config"))
    dataframe_kwargs.setdefault("placeholder", MISSING)
    # As Arrow: a polars frame would go through pandas first (a third of a table's cost on every rerun).
    dataframe_kwargs.setdefault("alt", table_title(name))  # the grid's name for screen readers
    st.dataframe(shown.to_arrow(), hide_index=True, width="stretch", key=f"{key}_table", **dataframe_kwargs)
    viewer = st.session_state.get("viewer")
    downloads = aggregate or (row_level_allowed and getattr(viewer, "sees_client_rows", True))
    if shown.height < frame.height:
        st.caption(f"Showing the first {shown.height:,} of {frame.height:,} rows, in the order above. Narrow the "
                   "filters to see the others" + (f"; the downloads hold all {frame.height:,}." if downloads else "."))
    if not downloads:
        st.caption(ROW_LEVEL_NOT_ALLOWED)
        return
    threshold = load(suppression.min_count) if aggregate else suppression.MIN_COUNT

    def prepared() -> exports.Export:
        return exports.prepare(frame, name, filters, aggregate=aggregate, threshold=threshold, spec=suppression_spec)

    csv_name, xlsx_name = exports.export_name(name, filters, "csv"), exports.export_name(name, filters, "xlsx")
    left, right, note = st.columns([1, 1, 4], vertical_alignment="center")
    left.download_button(
        "CSV", lambda: exports.export_csv(prepared()), file_name=csv_name, mime="text/csv", key=f"{key}_csv",
        icon=":material/download:", on_click=record_export, args=(csv_name,),
        help="Download this table as CSV (the filters are written in the first lines).")
    right.download_button(
        "Excel", lambda: exports.export_xlsx(prepared()), file_name=xlsx_name, mime=exports.XLSX_MIME,
        key=f"{key}_xlsx", icon=":material/download:", on_click=record_export, args=(xlsx_name,),
        help="Download this table as an Excel workbook (the filters are written above the table).")
    if aggregate:
        note.caption(f"Downloads hide counts below {threshold} and the cells that would reveal them.")


def with_separators(frame: pl.DataFrame, column_config: dict | None) -> dict:
    """The page's column settings, plus thousands separators for every whole-number column it leaves alone:
    "1,245 sessions", as the captions write counts (the grid's default shows "1245"). Numbers that name
    something are set to PLAIN_NUMBER by the page."""
    config = dict(column_config or {})
    for name, dtype in frame.schema.items():
        if dtype.is_integer() and name not in config:
            config[name] = st.column_config.NumberColumn(format="localized")
    return config


def record_export(file_name: str) -> None:
    """on_click: who downloaded which file, in the audit trail."""
    with cursor() as cur:
        access.record(cur, st.session_state.get("viewer"), "export", file_name)
