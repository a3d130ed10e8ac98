"""The label rule shared by training and evaluation (thesis §7.4): a corrupted image is `original`
while its intensity is below its corruption's threshold (too weak to change the plane classifier's
answers), and the corruption from the threshold up.

The thresholds come from threshold_sweep; the range of each corruption runs from `start` x its
threshold to where the sweep's mean SSIM stops falling. ssim_eval and real_eval evaluate at levels
spread over that range; corrupt (label_rule: threshold) draws its training intensities from it.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from usqc import corruptions as C
from usqc.errors import UsqcError
from usqc.params import SsimEvalParams


def flattening_point(intensities: Sequence[float], mean_ssim: Sequence[float], tolerance: float) -> float:
    """The first intensity whose mean SSIM is within `tolerance` of the curve's lowest mean SSIM."""
    ssim = np.asarray(mean_ssim, dtype=float)
    return float(np.asarray(intensities)[np.flatnonzero(ssim <= ssim.min() + tolerance)[0]])


def sweep_limits(metrics_path: Path, curves_dir: Path, tolerance: float) -> dict[str, tuple[float | None, float]]:
    """Per corruption: the sweep's accuracy-floor threshold and the intensity where its SSIM flattens."""
    try:
        found = json.loads(metrics_path.read_text())["thresholds"]
        sweep_curves = {name: pd.read_csv(curves_dir / f"{name}.csv") for name in C.LABELS[1:]}
    except (OSError, KeyError, ValueError) as exc:
        raise UsqcError(f"threshold_sweep results unreadable ({exc}); run dvc repro threshold_sweep") from None
    return {
        name: (found[name]["floor"], flattening_point(c["intensity"], c["mean_ssim"], tolerance))
        for name, c in sweep_curves.items()
    }


def eval_intensities(
    name: str, threshold: float | None, end: float, start: float, below: int, above: int
) -> np.ndarray:
    """`below` levels from start x threshold up to the threshold (excluded), `above` from it to `end`.

    Without a threshold (the plane classifier never failed) all levels lie in (0, end] and are
    labelled original. Blur radii are whole pixels: repeats and radius 0 are dropped.
    """
    if threshold is None:
        values = np.linspace(start * end, end, below + above)
    else:
        lower = np.linspace(start * threshold, threshold, below + 1)[:-1]
        values = np.concatenate([lower, np.linspace(threshold, max(end, threshold), above)])
    if name == "blur":
        values = np.unique(np.round(values))
        values = values[values >= 1]
    return values


def full_range(
    metrics_path: Path, curves_dir: Path, grid: SsimEvalParams
) -> tuple[dict[str, float | None], dict[str, np.ndarray]]:
    """Per corruption: the sweep's threshold and ssim_eval's evaluation intensities (`grid`'s
    start, levels_below, levels_above and flat_tolerance), as ssim_eval and real_eval use them."""
    limits = sweep_limits(metrics_path, curves_dir, grid.flat_tolerance)
    thresholds = {name: t for name, (t, _) in limits.items()}
    levels = {
        name: eval_intensities(name, t, end, grid.start, grid.levels_below, grid.levels_above)
        for name, (t, end) in limits.items()
    }
    return thresholds, levels


def label_for(name: str, intensity: float, threshold: float | None) -> str:
    """The corruption once its intensity reaches the threshold, `original` below it (thesis §7.4)."""
    return name if threshold is not None and intensity >= threshold else "original"


def below_range(name: str, threshold: float, start: float) -> tuple[float, float] | None:
    """[low, high) of the intensities under the threshold, from `start` x threshold; None if empty
    (a zero threshold; for blur, no whole radius >= 1 below it)."""
    low, high = start * threshold, threshold
    if name == "blur":
        low, high = max(1.0, math.ceil(low)), float(math.ceil(high) - 1)
        return (low, high) if low <= high else None
    return (low, high) if low < high else None


def whole_radii(low: float, high: float) -> tuple[int, int]:
    """The first and last whole blur radius of [low, high] (both included)."""
    return int(round(low)), int(round(high))


def draw_intensity(name: str, low: float, high: float, rng: np.random.Generator) -> float:
    """Uniform in [low, high]; blur radii are whole pixels (both ends included)."""
    if name == "blur":
        first, last = whole_radii(low, high)
        return float(rng.integers(first, last + 1))
    return float(rng.uniform(low, high))


def draw_near_threshold(
    name: str, side: tuple[float, float], threshold_at_low: bool, power: float, rng: np.random.Generator
) -> float:
    """An intensity on one side of a threshold whose distance from it is the side's span x U^power.

    Power 1 is draw_intensity, bit for bit. Larger powers crowd the draws towards the threshold,
    where the two labels meet and a uniform draw leaves a model few examples (power 2: half of
    them in the quarter of the side nearest the threshold). Under the threshold (`threshold_at_low`
    false) the threshold itself is never drawn; blur radii stay whole pixels.
    """
    low, high = side
    if power == 1.0:
        return draw_intensity(name, low, high, rng)
    share = rng.random() ** power
    if name == "blur":
        first, last = whole_radii(low, high)
        radii = np.arange(first, last + 1)
        k = min(int(share * len(radii)), len(radii) - 1)
        return float(radii[k] if threshold_at_low else radii[-1 - k])
    if threshold_at_low:
        return float(low + (high - low) * share)
    return float(min(high - (high - low) * share, np.nextafter(high, low)))
