"""The shared sidebar: what data is loaded (and how fresh), and the filter bar every page obeys.

Filters are seeded once per browser session from the URL, kept in session state while moving between
pages, and written back to the URL on every run so that a link reproduces the view.
"""

from __future__ import annotations

from datetime import date, datetime

import polars as pl
import streamlit as st

from attune import db, filters
from attune.filters import PRESETS, Choices, Filters, Selection
from attune.formatting import day, natural_key, plain
from attune.ui import access, navigation
from attune.ui.cache import load

STALE_AFTER_DAYS = 14


def data_extent(cur) -> dict:
    return db.run_query(cur, "data_extent").row(0, named=True)


def filter_options(cur, visible: tuple[str, ...] | None) -> pl.DataFrame:
    return db.run_query(cur, "filter_options", {"visible": None if visible is None else list(visible)})


def as_of_date(extent: dict) -> date:
    """The day the data describes: the newest session, or today when future bookings are included."""
    last = extent["last_session"]
    return min(last.date(), date.today()) if last else date.today()


SELECTION = "flt_selection"
WIDGET_FIELDS = {"flt_therapists": "therapist_ids", "flt_teams": "supervisors", "flt_sites": "sites",
                 "flt_services": "services"}


def render(with_filters: bool = True) -> Filters | None:
    """Sign the viewer in, draw the sidebar and return the filters; call it first thing on every page.

    `with_filters=False` is for the pages the filters do not apply to (Data, Glossary, Admin): no filter widgets
    there, and the selection (kept in session state and the URL) waits for the next page that has them.

    The viewer's scope (which therapists they may see) goes into the filters, and from there into every
    query. The selection lives in session state under its own key (not only in widget state), so it
    survives moving between pages, and each widget is re-seeded from it on every run.
    """
    navigation.ensure_entry_point()
    viewer = access.current_viewer()
    st.session_state["viewer"] = viewer
    visible = viewer.visible
    access.sidebar_badge(viewer)
    extent = load(data_extent)
    options = load(filter_options, visible)
    _freshness(extent)
    if not with_filters:
        if SELECTION in st.session_state:  # the link still carries the selection to the next page
            _write_url(filters.to_query(st.session_state[SELECTION]))
        return None
    as_of = as_of_date(extent)
    first = extent["first_session"].date() if extent["first_session"] else None
    choices = Choices(
        therapist_ids=tuple(options["therapist_id"].to_list()),
        supervisors=tuple(sorted({s for s in options["supervisor"].to_list() if s}, key=natural_key)),
        sites=tuple(sorted({s for sites in options["session_sites"].to_list() for s in sites}, key=natural_key)),
        services=tuple(sorted({s for services in options["services"].to_list() for s in services},
                              key=natural_key)),
    )
    if SELECTION not in st.session_state:
        query = {k: st.query_params.get_all(k) for k in st.query_params}
        selection, notices = filters.parse_query(query, choices, as_of, first)
        st.session_state[SELECTION] = selection
        st.session_state["flt_notices"] = notices
    _seed(st.session_state[SELECTION], as_of, first)
    selection = _widgets(choices, options, as_of, first)
    st.session_state[SELECTION] = selection
    for notice in st.session_state.get("flt_notices", []):
        st.sidebar.caption(f"⚠️ {plain(notice)}")
    _write_url(filters.to_query(selection))
    st.session_state["filters"] = selection.filters(visible)
    st.session_state["as_of"] = as_of
    return st.session_state["filters"]


def _write_url(query: dict[str, str]) -> None:
    """Set the filter parameters in the URL, leaving any other parameter (a page's own) alone."""
    for key in filters.URL_KEYS:
        if key in query:
            if st.query_params.get(key) != query[key]:
                st.query_params[key] = query[key]
        elif key in st.query_params:
            del st.query_params[key]


def _seed(selection: Selection, as_of: date, first: date | None) -> None:
    st.session_state["flt_preset"] = selection.preset
    if selection.preset == "custom":
        picked = st.session_state.get("flt_range") or ()
        if len(picked) != 1:  # a half-picked range stays as the viewer left it
            st.session_state["flt_range"] = (selection.start, selection.end)
    else:
        st.session_state["flt_range"] = filters.preset_range(selection.preset, as_of, first)
    for key, field_name in WIDGET_FIELDS.items():
        st.session_state[key] = list(getattr(selection, field_name))


def _remember() -> None:
    """on_change: copy the widgets' values into the persistent selection before the rerun."""
    state = st.session_state
    state["flt_notices"] = []  # the link's notices are answered once the viewer changes a filter
    picked = state.get("flt_range") or ()
    if state["flt_preset"] == "custom" and len(picked) == 1:
        return  # half-way through picking a range: keep the previous one until the second date is picked
    start, end = (picked[0], picked[-1]) if picked else (state[SELECTION].start, state[SELECTION].end)
    state[SELECTION] = Selection(state["flt_preset"], start, end,
                                 **{f: tuple(state.get(k, ())) for k, f in WIDGET_FIELDS.items()})


def _widgets(choices: Choices, options: pl.DataFrame, as_of: date, first: date | None) -> Selection:
    bar = st.sidebar
    bar.subheader("Filters")
    preset = bar.selectbox("Period", list(PRESETS), format_func=PRESETS.__getitem__, key="flt_preset",
                           on_change=_remember)
    if preset == "custom":
        picked = bar.date_input("From – to", key="flt_range", format="YYYY-MM-DD", on_change=_remember,
                                min_value=filters.EARLIEST, max_value=filters.LATEST)
        if len(picked) == 2:
            start, end = picked
        else:
            start, end = st.session_state[SELECTION].start, st.session_state[SELECTION].end
            bar.caption("Pick the end date; until then the previous range applies.")
    else:
        start, end = filters.preset_range(preset, as_of, first)
        bar.caption(f"{day(start)} to {day(end)}")
    names = dict(zip(options["therapist_id"], options["therapist_name"], strict=True))
    therapists = bar.multiselect("Therapists", choices.therapist_ids, key="flt_therapists", on_change=_remember,
                                 format_func=lambda t: f"{names.get(t, t)} ({t})", placeholder="All therapists")
    teams = bar.multiselect("Team (supervisor)", choices.supervisors, key="flt_teams", placeholder="All teams",
                            on_change=_remember)
    sites = bar.multiselect("Site", choices.sites, key="flt_sites", placeholder="All sites", on_change=_remember)
    services = bar.multiselect("Service", choices.services, key="flt_services", placeholder="All services",
                               on_change=_remember)
    return Selection(preset, start, end, tuple(therapists), tuple(teams), tuple(sites), tuple(services))


def _freshness(extent: dict) -> None:
    bar = st.sidebar
    if not extent["sessions"]:
        bar.info("No data loaded yet. Import your clinic's CSV exports on the Data page.")
        return
    last: datetime = extent["last_session"]
    bar.caption(
        f"**Data:** {extent['sessions']:,} sessions, {day(extent['first_session'])} to {day(last)}  \n"
        f"**Last import:** {extent['last_import']:%Y-%m-%d %H:%M}" if extent["last_import"] else ""
    )
    age = (date.today() - last.date()).days
    if age > STALE_AFTER_DAYS:
        bar.warning(f"The newest session is {age} days old. Import a recent export before the meeting: "
                    "numbers here describe the period up to " + day(last) + ".")
