"""show_table: a long table shows its first rows, says so, and still offers every row for download."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest


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
