"""The server settings that the concurrency figures depend on (.streamlit/config.toml)."""

from __future__ import annotations

import tomllib
from pathlib import Path

CONFIG = Path(__file__).resolve().parents[1] / ".streamlit" / "config.toml"


def _config() -> dict:
    return tomllib.loads(CONFIG.read_text())


def test_no_full_garbage_collection_after_every_script_run():
    """Streamlit's default runs gc.collect(2) after each script run, holding the GIL while it walks every object
    in the process; with 20 sessions that stalled all of them (soak worst wait 7.1 s with it, 2.5-3.1 s without)."""
    assert _config()["runner"]["postScriptGC"] is False


def test_source_files_are_not_watched_when_serving():
    assert _config()["server"]["fileWatcherType"] == "none"
