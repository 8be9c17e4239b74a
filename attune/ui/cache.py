"""The shared connection and cached data loading (Streamlit-aware, like the rest of attune.ui).

One DuckDB connection per process; each load takes its own cursor, so concurrent sessions never share
one. Results are cached per function, parameters and data version, so an import shows at once.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any, TypeVar

import duckdb
import streamlit as st

from attune import db

T = TypeVar("T")


@st.cache_resource(show_spinner=False)
def connection(path: str) -> duckdb.DuckDBPyConnection:
    return db.connect(path)


def cursor() -> duckdb.DuckDBPyConnection:
    """A fresh cursor on the process's connection; close it (use `with`) when done."""
    return connection(str(db.db_path())).cursor()


def data_version() -> int:
    with cursor() as cur:
        return db.data_version(cur)


def load(fn: Callable[..., T], *args: Any) -> T:
    """fn(cursor, *args), cached on the function, its arguments and the current data version."""
    return _load(_name(fn), args, data_version(), str(db.db_path()))


@st.cache_data(max_entries=512, show_spinner=False)
def _load(fn_path: str, args: tuple, version: int, db_file: str) -> Any:
    with cursor() as cur:
        return _resolve(fn_path)(cur, *args)


def chart(build: Callable[..., Any], fn: Callable[..., Any], *args: Any, **options: Any) -> Any:
    """build(load(fn, *args), **options): a Plotly figure, cached like `load`.

    Building a figure costs far more than sending it (Plotly validates every property: 50-200 ms for a
    two-panel chart, more than the query behind it), so a warm rerun reuses the built figure. The figure
    is shared between sessions: pass it to st.plotly_chart as it is, never modify it.
    """
    return _chart(_name(build), _name(fn), args, tuple(sorted(options.items())), data_version(),
                  str(db.db_path()))


def _name(fn: Callable[..., Any]) -> str:
    return f"{fn.__module__}:{fn.__qualname__}"


def _resolve(path: str) -> Callable[..., Any]:
    module, name = path.split(":")
    return getattr(importlib.import_module(module), name)


@st.cache_resource(max_entries=128, show_spinner=False)
def _chart(build_path: str, fn_path: str, args: tuple, options: tuple, version: int, db_file: str) -> Any:
    return _resolve(build_path)(_load(fn_path, args, version, db_file), **dict(options))


def clear() -> None:
    """Forget every cached result and figure (the connection stays open)."""
    _load.clear()
    _chart.clear()
