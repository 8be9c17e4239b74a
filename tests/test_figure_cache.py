"""attune.ui.cache.figure reuses a built figure for the same inputs and builds anew when the numbers change;
figures get the white template from the default, set once."""

from datetime import date

import plotly.io as pio
import polars as pl

from attune import charts
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
