"""Where a corruption starts to matter: first crossing of an accuracy limit, with a bootstrap interval."""

from __future__ import annotations

import logging
from collections.abc import Sequence

import numpy as np

from usqc import streams

log = logging.getLogger(__name__)


def first_below(intensities: Sequence[float], accuracy: Sequence[float], limit: float) -> float | None:
    """The first intensity (in sweep order) whose accuracy is below `limit`; None if none is."""
    below = np.flatnonzero(np.asarray(accuracy) < limit)
    return float(intensities[below[0]]) if below.size else None


def bootstrap_interval(
    intensities: Sequence[float],
    correct: np.ndarray,
    limit_for,
    n_boot: int,
    rng: np.random.Generator,
) -> tuple[float | None, float | None]:
    """95 % percentile interval of the threshold over test images resampled with replacement.

    correct: (levels, images) booleans; limit_for(rows) gives the accuracy limit for a resample
    (a constant floor, or the resample's clean accuracy minus the allowed drop). A resample that
    never crosses counts as +infinity, so an upper bound may be None (beyond the swept range).
    """
    n = correct.shape[1]
    draws = np.empty(n_boot)
    for b in range(n_boot):
        rows = rng.integers(0, n, n)
        t = first_below(intensities, correct[:, rows].mean(axis=1), limit_for(rows))
        draws[b] = np.inf if t is None else t
    low, high = np.percentile(draws, [2.5, 97.5], method="inverted_cdf")  # no interpolation with inf
    return (None if np.isinf(low) else float(low)), (None if np.isinf(high) else float(high))


def thresholds(
    name: str,
    intensities: Sequence[float],
    correct: np.ndarray,
    clean_correct: np.ndarray,
    accuracy_floor: float,
    max_drop: float,
    n_boot: int,
    seed: int,
) -> dict:
    """Both thresholds of one corruption and their intervals; a curve that never crosses gives None."""
    accuracy = correct.mean(axis=1)
    clean = float(clean_correct.mean())
    floor = first_below(intensities, accuracy, accuracy_floor)
    drop = first_below(intensities, accuracy, clean - max_drop)
    for kind, value in (("accuracy floor", floor), ("accuracy drop", drop)):
        if value is None:
            log.warning("%s: accuracy never crosses the %s in the swept range; threshold is null", name, kind)
    rng = streams.generator(seed, "threshold_bootstrap", name)
    floor_ci = bootstrap_interval(intensities, correct, lambda rows: accuracy_floor, n_boot, rng)
    drop_ci = bootstrap_interval(intensities, correct, lambda rows: clean_correct[rows].mean() - max_drop, n_boot, rng)
    return {
        "floor": floor,
        "floor_ci": list(floor_ci),
        "drop": drop,
        "drop_ci": list(drop_ci),
    }
