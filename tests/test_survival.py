"""Kaplan–Meier with Greenwood bands, checked against a hand computation and against SciPy."""

import math

import numpy as np
import pytest
from scipy import stats

from attune.survival import kaplan_meier, median_time, survival_at


def test_hand_computed_curve_with_ties_and_censoring():
    # durations 1(event) 2(censored) 3(event) 3(censored) 4(censored), the Dropout test's cohort.
    km = kaplan_meier([1, 4, 3, 3, 2], [True, False, False, True, False])
    assert km["time"].to_list() == [1, 2, 3, 4]
    assert km["at_risk"].to_list() == [5, 4, 3, 1]
    assert km["events"].to_list() == [1, 0, 1, 0]
    assert km["censored"].to_list() == [0, 1, 1, 1]
    # S(1) = 4/5; S(2) unchanged (a censoring is not an event); S(3) = 4/5 * 2/3.
    assert km["survival"].to_list() == pytest.approx([0.8, 0.8, 0.8 * 2 / 3, 0.8 * 2 / 3])
    # Greenwood: var = S^2 * sum d / (n (n - d)).
    g1, g3 = 1 / (5 * 4), 1 / (5 * 4) + 1 / (3 * 2)
    assert km["std_err"][0] == pytest.approx(0.8 * math.sqrt(g1))
    assert km["std_err"][2] == pytest.approx(0.8 * 2 / 3 * math.sqrt(g3))
    # log(-log) band: S ** exp(+-z sqrt(g) / |log S|).
    s, z = 0.8, 1.959963984540054
    spread = z * math.sqrt(g1) / abs(math.log(s))
    assert km["low"][0] == pytest.approx(s ** math.exp(spread))
    assert km["high"][0] == pytest.approx(s ** math.exp(-spread))
    assert km["low"][0] < 0.8 < km["high"][0]


def test_no_event_yet_band_is_one_and_curve_reaching_zero_has_no_band():
    km = kaplan_meier([0, 2, 2], [False, True, True])
    assert km["survival"].to_list() == [1.0, 0.0]
    assert (km["low"][0], km["high"][0]) == (1.0, 1.0)
    assert km["low"][1] is None and km["high"][1] is None


def test_events_at_time_zero_count():
    km = kaplan_meier([0, 0, 1, 1], [True, False, True, False])
    assert km["survival"].to_list() == pytest.approx([0.75, 0.75 * 0.5])


def test_agrees_with_scipy_on_random_censored_data():
    rng = np.random.default_rng(3)
    times = rng.integers(0, 15, 300)
    events = rng.random(300) < 0.4
    km = kaplan_meier(times, events)
    res = stats.ecdf(stats.CensoredData(uncensored=times[events], right=times[~events]))
    band = res.sf.confidence_interval(method="log-log")
    event_times = km.filter(km["events"] > 0)
    # SciPy reports one row per event time.
    assert event_times["survival"].to_numpy() == pytest.approx(res.sf.probabilities)
    assert event_times["low"].to_numpy() == pytest.approx(band.low.probabilities, rel=1e-9)
    assert event_times["high"].to_numpy() == pytest.approx(band.high.probabilities, rel=1e-9)


def test_empty_and_invalid_input():
    assert kaplan_meier([], []).is_empty()
    with pytest.raises(ValueError):
        kaplan_meier([-1, 2], [True, False])


def test_median_and_survival_at():
    km = kaplan_meier([1, 2, 3, 4], [True, True, True, False])
    assert median_time(km) == 2  # S(1) = 0.75, S(2) = 0.5
    assert survival_at(km, 0) == 1.0
    assert survival_at(km, 3) == pytest.approx(0.25)
    assert survival_at(km, 9) is None
    assert median_time(kaplan_meier([1, 2], [False, False])) is None
