"""Shared fixtures: real DuckDB files built from real CSV exports (the demo clinic or small hand-written files)."""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path

import duckdb
import pytest

from attune import attention, db, demo, ingest
from tests.hand_clinic import csv_writer

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def demo_exports(tmp_path_factory) -> Path:
    """The default demo clinic's CSV exports (seed 1), written once per test run."""
    out = tmp_path_factory.mktemp("demo_exports")
    demo.generate(seed=1).write(out)
    return out


@pytest.fixture(scope="session")
def demo_manifest(demo_exports) -> dict:
    return json.loads((demo_exports / "demo_manifest.json").read_text())


@pytest.fixture(scope="session")
def demo_db_template(demo_exports, tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("demo_db") / "demo.duckdb"
    con = db.connect(path)
    for kind in ("therapists", "sessions", "feedback", "episodes", "switch_requests"):
        report = ingest.import_file(con, demo_exports / f"{kind}.csv")
        assert report.status == "imported", report.summary
    attention.refresh_stored(con)  # as `attune import` does after its files
    con.close()
    return path


@pytest.fixture
def demo_db(demo_db_template, tmp_path, monkeypatch) -> Path:
    """A private copy of the demo database, also set as ATTUNE_DB for the app."""
    path = tmp_path / "demo.duckdb"
    shutil.copy(demo_db_template, path)
    monkeypatch.setenv("ATTUNE_DB", str(path))
    return path


@pytest.fixture
def empty_db(tmp_path, monkeypatch) -> Path:
    path = tmp_path / "empty.duckdb"
    db.connect(path).close()
    monkeypatch.setenv("ATTUNE_DB", str(path))
    return path


@pytest.fixture
def con(tmp_path):
    """A fresh, migrated database connection for logic tests."""
    connection = db.connect(tmp_path / "t.duckdb")
    yield connection
    connection.close()


@pytest.fixture
def write_csv(tmp_path):
    """Write a small CSV file from text into the test's folder (see hand_clinic.csv_writer)."""
    return csv_writer(tmp_path)


@pytest.fixture(scope="session")
def _built_databases() -> dict[Callable, Path]:
    return {}


@pytest.fixture
def built_copy(_built_databases, tmp_path_factory, tmp_path):
    """`built_copy(build)`: a connection to a private copy of the database `build(con, folder)` makes.

    Each build runs once per test process and later tests get a copy of its file: importing a hand-written
    clinic through the real importer takes seconds, copying the finished database milliseconds."""
    opened = []

    def _copy(build: Callable[[duckdb.DuckDBPyConnection, Path], None]) -> duckdb.DuckDBPyConnection:
        if build not in _built_databases:
            folder = tmp_path_factory.mktemp("built")
            template = folder / "template.duckdb"
            connection = db.connect(template)
            build(connection, folder)
            connection.close()
            _built_databases[build] = template
        path = tmp_path / "built.duckdb"
        shutil.copy(_built_databases[build], path)
        opened.append(db.connect(path))
        return opened[-1]

    yield _copy
    for connection in opened:
        connection.close()


@pytest.fixture(autouse=True)
def _clear_streamlit_caches():
    """AppTest runs share the process: clear cached data and connections between tests."""
    yield
    try:
        import streamlit as st

        st.cache_data.clear()
        st.cache_resource.clear()
    except Exception:  # streamlit not imported by this test
        pass


def app_test(page: str | None = None, timeout: float = 30):
    """Run app.py headlessly (optionally switching to a page) and return the finished AppTest."""
    from streamlit.testing.v1 import AppTest

    os.chdir(ROOT)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=timeout)
    at.run()
    if page:
        at.switch_page(page)
        at.run()
    return at
