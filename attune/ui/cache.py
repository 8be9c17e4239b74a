"""The shared connection and cached data loading (Streamlit-aware, like the rest of attune.ui).

One DuckDB connection per process; each load takes its own cursor, so concurrent sessions never share
one. Results are cached per function, parameters and data version, so an import shows at once.

A page never mixes data from before and after an import: `begin_run` (called by app.py before every
page) pins the data version for the script run, and every load reads inside one DuckDB
transaction whose snapshot must hold that version. When an import committed in between, the page is
rerun from the top against the new data instead of showing half old, half new numbers.

A page may start the loads it makes further down at once (`prefetch`): they run on two worker threads while
the page draws, and its own `load` of the same key takes or waits for the result.
"""

from __future__ import annotations

import contextlib
import copy
import importlib
import pickle
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import duckdb
import polars as pl
import streamlit as st
from plotly.basedatatypes import BaseFigure
from streamlit.runtime.scriptrunner import get_script_run_ctx

from attune import db

T = TypeVar("T")
PINNED = "_attune_data_version"
# Two workers for `prefetch`: a 2-core server gains nothing from a third query running at once.
_PREFETCH = ThreadPoolExecutor(max_workers=2, thread_name_prefix="attune-prefetch")


class _VersionMoved(Exception):
    """An import committed after this run pinned its data version (never cached: it is raised)."""


@st.cache_resource(show_spinner=False)
def connection(path: str) -> duckdb.DuckDBPyConnection:
    return db.connect(path)


def cursor(db_file: str | None = None) -> duckdb.DuckDBPyConnection:
    """A fresh cursor on the process's connection (to `db_file`, by default $ATTUNE_DB); close it (use `with`).

    When another process holds the database (a command-line import, a second dashboard), the page says
    so and stops instead of showing a lock traceback; it loads normally once the database is free.
    """
    try:
        con = connection(db_file or str(db.db_path()))
    except db.DatabaseBusyError as exc:
        st.error(f"{exc} This page will work again as soon as the database is free: reload it then.",
                 icon=":material/lock:")
        st.stop()
    return con.cursor()


def data_version() -> int:
    with cursor() as cur:
        return db.data_version(cur)


def begin_run() -> int:
    """Pin the data version every `load` in this script run reads (app.py calls it before each page).

    Also where a busy database is reported: the page stops with a plain message instead of a traceback.
    """
    version = data_version()
    _pin(version)
    return version


def _pin(version: int) -> None:
    st.session_state[PINNED] = (version, _this_run(), db.bumps_in_this_process())


def _this_run() -> object | None:
    """An object Streamlit makes anew for every script run (the run's table of cursors; compared by identity,
    and kept alive by the pin so its identity is never reused), or None outside a run."""
    ctx = get_script_run_ctx()
    return ctx.cursors if ctx is not None else None


def _run_version() -> int:
    """The data version this run pinned; when an import committed since, the page starts again.

    The version is read once per run, not once per load (a warm page has a dozen loads, and the reads were
    half its time). Read again when the pin is not this run's (AppTest runs app.py only on its first run;
    a fragment reruns alone) or when this process bumped the version since (an import, undo or note here:
    no other process can write while the dashboard has the database open).
    """
    pinned = st.session_state.get(PINNED)
    run = _this_run()
    if pinned is not None and run is not None and pinned[1] is run and pinned[2] == db.bumps_in_this_process():
        return pinned[0]
    current = data_version()
    if pinned is not None and pinned[0] != current:
        st.session_state.pop(PINNED, None)
        st.rerun()
    _pin(current)
    return current


def load(fn: Callable[..., T], *args: Any) -> T:
    """fn(cursor, *args), cached on the function, its arguments and the run's data version.

    When the data changed since the run pinned its version (an import committed mid-run, or the pin is
    left from an earlier run, as in a fragment), the page starts again so all of it shows the new data.
    """
    version = _run_version()
    try:
        return _load(_name(fn), args, version, str(db.db_path()))
    except _VersionMoved:
        st.session_state.pop(PINNED, None)
        st.rerun()


def prefetch(*loads: tuple) -> None:
    """Start loads the page makes further down, each given as (fn, *args) exactly as it will pass them to `load`.

    They run on worker threads while the page draws what it already has: DuckDB leaves Python's lock while a
    query runs, so queries overlap each other and the page's own table and chart building (a cold Therapists
    page at 1M sessions: 462-542 → 399-407 ms, old and new code interleaved in bench/pages.py). The page's
    `load` of the same function and arguments then takes that result, or waits for it when it is still being
    computed (the cache computes each key once). A prefetch that fails is dropped: the page's own load runs it
    again and reports the error there.
    """
    version, db_file = _run_version(), str(db.db_path())
    for fn, *args in loads:
        _PREFETCH.submit(_load_quietly, _name(fn), tuple(args), version, db_file)


def _load_quietly(fn_path: str, args: tuple, version: int, db_file: str) -> None:
    with contextlib.suppress(BaseException):  # the page's own load of the same key raises it where it is shown
        _shared_load(fn_path, args, version, db_file)


def figure(build: Callable[..., Any], *args: Any, **options: Any) -> Any:
    """build(*args, **options): a Plotly figure, cached on the values of its inputs (frames hashed by content).

    Building a figure costs more than the query behind it (Plotly validates every property: 50-500 ms for
    a chart), so a warm rerun, or another session looking at the same numbers, reuses the built figure.
    The figure is shared between sessions: pass it to st.plotly_chart as it is, never modify it. The key
    names the builder but not its code: after editing a builder, restart the server to see the change.
    """
    return _figure(_name(build), args, tuple(sorted(options.items())))


@st.cache_resource(max_entries=256, show_spinner=False)
def _figure(build_path: str, args: tuple, options: tuple) -> Any:
    return _dict_made_once(_resolve(build_path)(*args, **dict(options)))


def _dict_made_once(fig: Any) -> Any:
    """st.plotly_chart calls fig.to_dict() on every rerun of every session: a deep copy of the figure and a walk
    that encodes its arrays, most of what a chart costs on a warm page. A shared figure never changes, so its
    dict is made once here and handed out each time (Streamlit and plotly.io only read it)."""
    if isinstance(fig, BaseFigure):
        spec = fig.to_dict()
        fig.to_dict = lambda: spec
    return fig


def _name(fn: Callable[..., Any]) -> str:
    return f"{fn.__module__}:{fn.__qualname__}"


def _resolve(path: str) -> Callable[..., Any]:
    module, name = path.split(":")
    return getattr(importlib.import_module(module), name)


def _load(fn_path: str, args: tuple, version: int, db_file: str) -> Any:
    """The shared result, as it is for frames (immutable) and as a copy for anything else, so that a page
    changing a loaded dict or list never changes what other sessions get."""
    result = _shared_load(fn_path, args, version, db_file)
    return result if isinstance(result, pl.DataFrame) else copy.deepcopy(result)


def _arguments_key(args: tuple) -> bytes | list:
    """A load's arguments as the bytes pickle writes for them, which is how the cache tells them apart.

    Streamlit's own hasher walks filters and settings field by field in Python: 1-3 ms a load, and a warm page
    makes a dozen loads. Pickle writes the same values in microseconds, and unequal values never give equal
    bytes (equal ones may differ, a dict in another order: then the load runs again, nothing is wrong).
    Arguments pickle cannot write go to Streamlit's hasher, as a list.
    """
    try:
        return pickle.dumps(args, protocol=pickle.HIGHEST_PROTOCOL)
    except Exception:
        return list(args)


@st.cache_resource(max_entries=512, show_spinner=False, hash_funcs={tuple: _arguments_key})
def _shared_load(fn_path: str, args: tuple, version: int, db_file: str) -> Any:
    """Kept as objects, not pickled: st.cache_data would unpickle a copy on every hit (7 ms for a 120,000-row
    frame, on every rerun of every session). Reads the database its key names (a prefetch may run after a test
    has pointed $ATTUNE_DB elsewhere)."""
    with cursor(db_file) as cur:
        cur.execute("BEGIN TRANSACTION")
        try:
            if db.data_version(cur) != version:
                raise _VersionMoved
            result = _resolve(fn_path)(cur, *args)
        finally:
            cur.execute("ROLLBACK")  # read-only: nothing to keep, and the snapshot is released
        return result


def clear() -> None:
    """Forget every cached result and figure (the connection stays open)."""
    _shared_load.clear()
    _figure.clear()
