"""show_table: a long table shows its first rows, says so, and still offers every row for download."""

from __future__ import annotations

import json

import pytest
from streamlit.testing.v1 import AppTest

from attune.formatting import MISSING
from attune.ui.tables import ROWS_SHOWN, table_title
from tests.support.pages import registered_pages


def _long_and_short_tables() -> None:
    """An AppTest script: a 30-row table capped at 10 rows, and a 5-row table under the same cap."""
    import polars as pl

    from attune.ui.tables import show_table

    show_table(pl.DataFrame({"client": [f"C{i:02d}" for i in range(30)]}), "long", None, key="long",
               aggregate=False, max_rows=10)
    show_table(pl.DataFrame({"client": [f"C{i:02d}" for i in range(5)]}), "short", None, key="short",
               aggregate=False, max_rows=10)


def test_a_long_table_shows_its_first_rows_and_says_how_many_are_left_out(empty_db):
    at = AppTest.from_function(_long_and_short_tables, default_timeout=30)
    at.run()
    assert not at.exception
    long, short = (table.value for table in at.dataframe)
    assert long["client"].tolist() == [f"C{i:02d}" for i in range(10)]
    assert len(short) == 5
    captions = [c.value for c in at.caption]
    assert captions == ["Showing the first 10 of 30 rows, in the order above. Narrow the filters to see the "
                        "others; the downloads hold all 30."]


def _tables_without_a_cap() -> None:
    """An AppTest script: a row-level and an aggregated table, each two rows longer than the default cap."""
    import polars as pl

    from attune.ui.tables import ROWS_SHOWN, show_table

    rows = ROWS_SHOWN + 2
    show_table(pl.DataFrame({"client": [f"C{i:05d}" for i in range(rows)]}), "clients", None, key="clients",
               aggregate=False)
    show_table(pl.DataFrame({"week": list(range(rows)), "sessions": [10] * rows}), "weeks", None, key="weeks")


def test_a_row_level_table_is_cut_to_its_first_rows_by_default_and_an_aggregate_is_not(empty_db):
    at = AppTest.from_function(_tables_without_a_cap, default_timeout=30)
    at.run()
    assert not at.exception
    clients, weeks = (table.value for table in at.dataframe)
    assert clients["client"].tolist() == [f"C{i:05d}" for i in range(ROWS_SHOWN)]
    assert len(weeks) == ROWS_SHOWN + 2
    assert [c.value for c in at.caption][0].startswith(f"Showing the first {ROWS_SHOWN:,} of {ROWS_SHOWN + 2:,} rows")


def _counts_and_a_configured_column() -> None:
    import polars as pl
    import streamlit as st

    from attune.ui.tables import show_table

    show_table(pl.DataFrame({"therapist": ["T01"], "sessions": [1245], "rank": [3], "srs": [36.5]}), "counts", None,
               key="counts", column_config={"rank": st.column_config.NumberColumn(format="%d")})


def test_whole_numbers_get_thousands_separators_unless_the_page_formats_them(empty_db):
    at = AppTest.from_function(_counts_and_a_configured_column, default_timeout=30)
    at.run()
    assert not at.exception
    columns = json.loads(at.dataframe[0].proto.columns)
    assert columns["sessions"]["type_config"]["format"] == "localized"
    assert columns["rank"]["type_config"]["format"] == "%d"
    assert "therapist" not in columns and "srs" not in columns


def _a_table_with_empty_cells() -> None:
    import datetime as dt

    import polars as pl

    from attune.ui.tables import show_table

    show_table(pl.DataFrame({"client": ["C01", None], "last_rating": [dt.date(2026, 1, 5), None]}), "gaps", None,
               key="gaps", aggregate=False)


def test_an_empty_cell_shows_a_dash_not_the_word_none(empty_db):
    at = AppTest.from_function(_a_table_with_empty_cells, default_timeout=30)
    at.run()
    assert not at.exception
    assert at.dataframe[0].proto.placeholder == MISSING == "—"


@pytest.mark.parametrize("registered", registered_pages(), ids=lambda p: p.id)
def test_every_chart_and_table_has_a_name_for_screen_readers(demo_db, registered):
    """Without `alt`, a screen reader announces a chart or a grid with no name at all."""
    from tests.test_access import signed_in

    at = signed_in({"email": "boss@clinic.org", "role": "director"}, registered.path)  # Admin shows to directors
    assert not at.exception, at.exception
    unnamed = [e.proto.id for e in [*at.get("plotly_chart"), *at.dataframe] if not e.proto.alt.strip()]
    assert not unnamed, unnamed
    assert table_title("needs-attention") == "Needs attention"
