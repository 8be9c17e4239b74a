"""Show a table with its download buttons: every table on every page goes through `show_table`."""

from __future__ import annotations

import polars as pl
import streamlit as st

from attune.exports import csv_bytes, export_name
from attune.filters import Filters


def show_table(frame: pl.DataFrame, name: str, filters: Filters | None, key: str, **dataframe_kwargs) -> None:
    """Render `frame` and offer it as CSV, the filters written in the file name and a header line."""
    st.dataframe(frame, hide_index=True, width="stretch", key=f"{key}_table", **dataframe_kwargs)
    st.download_button(
        "Download CSV", csv_bytes(frame, filters), file_name=export_name(name, filters, "csv"),
        mime="text/csv", key=f"{key}_csv", icon=":material/download:",
    )
