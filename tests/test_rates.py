"""Rates with denominators and 95% Wilson intervals (the private stand-in in attune/_rates.py)."""

import polars as pl
import pytest

from attune._rates import with_rate


def test_wilson_interval_matches_published_values():
    frame = with_rate(pl.DataFrame({"k": [0, 5, 10, 0], "n": [10, 10, 10, 0]}), "k", "n", "x")
    # Wilson 95% intervals (Newcombe 1998): 0/10 -> 0-0.2775, 5/10 -> 0.2366-0.7634, 10/10 -> 0.7225-1.
    assert frame["x_low"].to_list()[:3] == pytest.approx([0.0, 0.2366, 0.7225], abs=1e-4)
    assert frame["x_high"].to_list()[:3] == pytest.approx([0.2775, 0.7634, 1.0], abs=1e-4)
    assert frame["x_rate"].to_list() == [0.0, 0.5, 1.0, None]
    assert frame["x_low"][3] is None and frame["x_high"][3] is None


def test_small_denominators_are_marked():
    frame = with_rate(pl.DataFrame({"k": [1, 1], "n": [19, 20]}), "k", "n", "x")
    assert frame["x_small"].to_list() == [True, False]
