"""95 % intervals for shares measured on few real scans.

A share over independent items (one uncorrupted scan each) gets the Wilson score interval, which
stays sensible at 0 or 1. A share over rows that are not independent (several corrupted copies
of one scan, several scans of one subject) gets a percentile bootstrap that resamples whole
subjects, so that the copies of one scan never count as independent evidence.
"""

from __future__ import annotations

import numpy as np

from usqc import streams

Z95 = 1.959964


def wilson(successes: int, n: int) -> tuple[float, float]:
    """Wilson score interval of successes / n (NaNs for n = 0)."""
    if n == 0:
        return float("nan"), float("nan")
    p = successes / n
    denominator = 1 + Z95**2 / n
    centre = (p + Z95**2 / (2 * n)) / denominator
    half = Z95 / denominator * np.sqrt(p * (1 - p) / n + Z95**2 / (4 * n**2))
    return float(max(0.0, centre - half)), float(min(1.0, centre + half))


def share_with_interval(values: np.ndarray, groups: np.ndarray | None, resamples: int, seed: int) -> dict:
    """{value, ci_low, ci_high, n} of the mean of boolean `values`: Wilson without groups, else the
    subject bootstrap's 2.5 and 97.5 percentiles. Flat numbers, so that `dvc metrics` shows them."""
    values = np.asarray(values, dtype=bool)
    n = int(len(values))
    if n == 0:
        return {"value": None, "ci_low": None, "ci_high": None, "n": 0}
    if groups is None:
        low, high = wilson(int(values.sum()), n)
    else:
        low, high = subject_bootstrap(values, np.asarray(groups), resamples, seed)
    return {"value": float(values.mean()), "ci_low": low, "ci_high": high, "n": n}


def subject_bootstrap(values: np.ndarray, groups: np.ndarray, resamples: int, seed: int) -> tuple[float, float]:
    """Percentile interval of the mean of `values` when whole groups are drawn with replacement."""
    names, index = np.unique(groups, return_inverse=True)
    sums = np.bincount(index, weights=values.astype(float), minlength=len(names))
    counts = np.bincount(index, minlength=len(names)).astype(float)
    rng = streams.generator(seed, "subject_bootstrap")
    draws = rng.multinomial(len(names), np.full(len(names), 1 / len(names)), size=resamples)
    means = (draws @ sums) / (draws @ counts)
    low, high = np.percentile(means, [2.5, 97.5])
    return float(low), float(high)
