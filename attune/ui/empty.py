"""What a page says when it has nothing to show: the filters left nothing, or no data is loaded yet."""

from __future__ import annotations

from typing import NoReturn

import streamlit as st

from attune.overview import has_any_sessions
from attune.ui.cache import load

WIDEN = "Widen the date range or clear a filter in the sidebar."


def say_empty(nothing_here: str, no_data: str) -> None:
    """Show `nothing_here` (with how to widen the filters) when the database holds sessions, else `no_data`."""
    st.info(f"{nothing_here} {WIDEN}" if load(has_any_sessions) else no_data)


def stop_empty(nothing_here: str, no_data: str) -> NoReturn:
    """say_empty, then stop the page."""
    say_empty(nothing_here, no_data)
    st.stop()
