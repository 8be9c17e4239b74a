"""attune.ui.cache: a built figure is reused for the same inputs and built anew when the numbers change, and its
dict (what st.plotly_chart sends) is made once; figures get the white template from the default, set once; a
loaded result is shared, and what is not a frame is handed out as a copy; loads are told apart by their
arguments' pickled bytes."""

import dataclasses
from datetime import date
from pathlib import Path

import plotly.io as pio
import polars as pl

from attune import charts, db, settings
from attune.filters import default_filters
from attune.ui import cache


def weeks(no_show: float) -> pl.DataFrame:
    return pl.DataFrame({"week": [date(2026, 1, 5), date(2026, 1, 12)], "rated": [10, 12], "mean_srs": [37.0, 38.5],
                         "srs_low": [35.0, 36.0], "srs_high": [39.0, 40.0], "no_show": [1, 2],
                         "no_show_denominator": [20, 20], "no_show_rate": [0.05, no_show]})


def test_same_numbers_reuse_the_figure_other_numbers_build_a_new_one():
    cache.clear()
    first = cache.figure(charts.weekly_trend, weeks(0.10), srs_cutoff=36.0)
    assert cache.figure(charts.weekly_trend, weeks(0.10), srs_cutoff=36.0) is first  # an equal, new frame
    changed = cache.figure(charts.weekly_trend, weeks(0.20), srs_cutoff=36.0)
    assert changed is not first and list(changed.data[2].y) == [0.05, 0.20]
    assert cache.figure(charts.weekly_trend, weeks(0.10), srs_cutoff=35.0) is not first  # options are part of the key



def test_figures_use_the_white_template_set_once_as_the_default():
    """charts sets the default template (naming it per figure validates it every time, ~30 ms); a figure built
    after something else changed the default (importing streamlit does) still gets it."""
    pio.templates.default = charts.TEMPLATE  # as in the app, where streamlit is imported before the pages
    assert charts.weekly_trend(weeks(0.10)).layout.template == pio.templates["plotly_white"]
    pio.templates.default = "streamlit"
    try:
        figure = charts.weekly_trend(weeks(0.10))
    finally:
        pio.templates.default = charts.TEMPLATE
    assert figure.layout.template == pio.templates["plotly_white"]
    assert figure.layout.font.size == charts.FONT_SIZE


def test_a_cached_figure_makes_its_dict_once_and_it_equals_a_fresh_build():
    cache.clear()
    shown = cache.figure(charts.weekly_trend, weeks(0.10), srs_cutoff=36.0)
    assert shown.to_dict() is shown.to_dict()
    fresh = charts.weekly_trend(weeks(0.10), srs_cutoff=36.0)
    assert pio.to_json(shown.to_dict(), validate=False) == pio.to_json(fresh.to_dict(), validate=False)


def test_loaded_frames_are_shared_and_other_results_are_copies(demo_db, monkeypatch):
    monkeypatch.setenv("ATTUNE_DB", str(demo_db))
    cache.clear()
    with cache.cursor() as cur:
        version = db.data_version(cur)
    values = cache._load("attune.settings:load", (), version, str(demo_db))
    values["srs_cutoff"] = -1.0  # a page changing what it loaded
    assert cache._load("attune.settings:load", (), version, str(demo_db)) == settings.defaults()
    frame = cache._load("attune.batches:history_table", (), version, str(demo_db))
    assert cache._load("attune.batches:history_table", (), version, str(demo_db)) is frame


def _three_loads() -> None:
    """An AppTest script: three cached loads, a note of the version they saw, and one bump on the first run."""
    import streamlit as st

    from attune import batches, db, settings
    from attune.ui import cache

    cache.load(settings.load)
    cache.load(batches.history_table)
    st.write(f"before {cache.load(db.data_version)}")
    if not st.session_state.get("bumped"):
        st.session_state["bumped"] = True
        with cache.cursor() as cur:
            db.bump_data_version(cur)  # a write in this process, mid-run (as the Data page's import does)
    st.write(f"after {cache.load(db.data_version)}")


def test_a_run_reads_the_data_version_once_and_again_after_a_write_here(demo_db, monkeypatch):
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_function(_three_loads, default_timeout=30)
    at.run()
    with cache.cursor() as cur:
        now = db.data_version(cur)
    # The bump moved the version mid-run: the page started again, and all of it shows the new version.
    assert [m.value for m in at.markdown] == [f"before {now}", f"after {now}"]
    reads = []
    real = cache.data_version
    monkeypatch.setattr(cache, "data_version", lambda: reads.append(1) or real())
    at.run()  # warm: every load is cached
    assert not at.exception and [m.value for m in at.markdown] == [f"before {now}", f"after {now}"]
    assert len(reads) == 1  # once for the run, not once per load


def test_loads_are_told_apart_by_their_pickled_arguments(demo_db):
    """The cache keys a load on its arguments' pickle bytes (Streamlit's own hasher took 1-3 ms a load): equal
    arguments share a result, and arguments that differ anywhere, however deep, never do."""
    everyone = default_filters(date(2026, 1, 1))
    one_team = dataclasses.replace(everyone, visible_therapists=("T01", "T02"))
    assert cache._arguments_key((everyone, 2)) == cache._arguments_key((default_filters(date(2026, 1, 1)), 2))
    assert cache._arguments_key((everyone, 2)) != cache._arguments_key((one_team, 2))
    assert cache._arguments_key(({"srs_cutoff": 36.0},)) != cache._arguments_key(({"srs_cutoff": 35.0},))
    cache.clear()
    with cache.cursor() as cur:
        version = db.data_version(cur)
        newest = db.run_row(cur, "attention_latest_day", {"visible": None})[0]
    # Everyone's newest day, then nobody's: a shared key would hand the second load the first one's answer.
    assert cache._load("attune.attention:latest_day", (None,), version, str(demo_db)) == newest
    assert cache._load("attune.attention:latest_day", ((),), version, str(demo_db)) is None


def file_name(cur, handle) -> str:
    """A load whose argument is an open file: pickle cannot write one, Streamlit's hasher reads its name."""
    return Path(handle.name).name


def test_arguments_pickle_cannot_write_are_hashed_by_streamlit(demo_db, tmp_path):
    cache.clear()
    with cache.cursor() as cur:
        version = db.data_version(cur)
    loaded = f"{file_name.__module__}:file_name"
    with (tmp_path / "a.txt").open("w") as first, (tmp_path / "b.txt").open("w") as second:
        assert isinstance(cache._arguments_key((first,)), list)
        assert cache._load(loaded, (first,), version, str(demo_db)) == "a.txt"
        assert cache._load(loaded, (second,), version, str(demo_db)) == "b.txt"
