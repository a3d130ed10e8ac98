import logging

import numpy as np
import pytest

from usqc.thresholds import bootstrap_interval, first_below, thresholds

LEVELS = np.linspace(0, 1, 11)


def test_first_crossing_of_a_falling_curve():
    accuracy = [1.0, 0.98, 0.95, 0.91, 0.89, 0.7, 0.5, 0.4, 0.35, 0.33, 0.33]
    assert first_below(LEVELS, accuracy, 0.9) == pytest.approx(0.4)
    assert first_below(LEVELS, accuracy, 0.99) == pytest.approx(0.1)


def test_never_crossing_gives_none():
    assert first_below(LEVELS, [0.99] * 11, 0.9) is None


def test_non_monotone_curve_takes_the_first_dip():
    accuracy = [1.0, 0.95, 0.85, 0.93, 0.96, 0.8, 0.6, 0.5, 0.4, 0.3, 0.3]
    assert first_below(LEVELS, accuracy, 0.9) == pytest.approx(0.2)


def _simulated(n=200, seed=0):
    """Images fail once the level passes their own tolerance (spread around 0.5)."""
    rng = np.random.default_rng(seed)
    tolerance = rng.normal(0.5, 0.1, n)
    correct = LEVELS[:, None] < tolerance[None, :]
    return correct, np.ones(n, dtype=bool)


def test_interval_contains_the_point_estimate():
    correct, clean = _simulated()
    result = thresholds("x", LEVELS, correct, clean, 0.9, 0.05, 500, seed=1)
    assert result["floor"] is not None
    assert result["floor_ci"][0] <= result["floor"] <= result["floor_ci"][1]
    assert result["drop_ci"][0] <= result["drop"] <= result["drop_ci"][1]
    assert result["floor_ci"][1] - result["floor_ci"][0] <= 0.3


def test_a_curve_that_never_crosses_warns_and_gives_null(caplog):
    correct = np.ones((11, 50), dtype=bool)
    with caplog.at_level(logging.WARNING):
        result = thresholds("blur", LEVELS, correct, np.ones(50, bool), 0.9, 0.05, 100, seed=0)
    assert result["floor"] is None and result["drop"] is None
    assert result["floor_ci"] == [None, None]
    assert "blur: accuracy never crosses" in caplog.text


def test_interval_upper_bound_is_null_when_some_resamples_never_cross():
    correct = np.ones((11, 40), dtype=bool)
    correct[-1, :3] = False  # only the last level, and only a few images, fail
    low, high = bootstrap_interval(LEVELS, correct, lambda rows: 0.95, 400, np.random.default_rng(0))
    assert low == pytest.approx(1.0) and high is None
