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
    return _load(f"{fn.__module__}:{fn.__qualname__}", args, data_version(), str(db.db_path()))


@st.cache_data(max_entries=512, show_spinner=False)
def _load(fn_path: str, args: tuple, version: int, db_file: str) -> Any:
    module, name = fn_path.split(":")
    fn = getattr(importlib.import_module(module), name)
    with cursor() as cur:
        return fn(cur, *args)


def clear() -> None:
    _load.clear()
