"""The `threshold_sweep` stage's library (thesis §6): one intensity at a time, the same corruption
on every clean test image.

For each level: the plane classifier's accuracy on the corrupted test images and the SSIM of
each corrupted image against its original; from the curves, each corruption's threshold.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from tqdm import tqdm

from usqc import corruptions as C
from usqc.corrupted_sets import corrupt_all
from usqc.params import ThresholdSweepParams
from usqc.thresholds import thresholds


def sweep_intensities(name: str, low: float, high: float, count: int) -> np.ndarray:
    """`count` evenly spaced intensities; blur radii are whole pixels, so repeats are dropped."""
    values = np.linspace(low, high, count)
    return np.unique(np.round(values)) if name == "blur" else values


def sweep(
    name: str,
    intensities: np.ndarray,
    clean: np.ndarray,
    originals: np.ndarray,
    labels: np.ndarray,
    classify,
    seed: int,
) -> tuple[pd.DataFrame, np.ndarray]:
    """The curve (intensity, relative_intensity, mean_ssim, ssim_std, accuracy) and the
    (levels, images) matrix of correct predictions. `classify` maps uint8 images to class ids."""
    rows, correct = [], []
    span = float(intensities[-1] - intensities[0]) or 1.0
    for level, intensity in enumerate(tqdm(intensities, desc=name, unit="level", mininterval=5)):
        images, scores = corrupt_all(clean, originals, name, intensity, seed, "sweep", level)
        hits = classify(images) == labels
        correct.append(hits)
        rows.append(
            {
                "intensity": float(intensity),
                "relative_intensity": (float(intensity) - float(intensities[0])) / span,
                "mean_ssim": float(scores.mean()),
                "ssim_std": float(scores.std()),
                "accuracy": float(hits.mean()),
            }
        )
    return pd.DataFrame(rows), np.array(correct)


def sweep_all(
    cfg: ThresholdSweepParams,
    clean: np.ndarray,
    originals: np.ndarray,
    labels: np.ndarray,
    clean_correct: np.ndarray,
    classify,
    seed: int,
) -> tuple[dict[str, pd.DataFrame], dict[str, dict]]:
    """Every corruption swept over its range: the curves, and the thresholds found on them."""
    ranges = {"scale_up": cfg.scale_up_range, "blur": cfg.blur_range, "noise": cfg.noise_range}
    curves, found = {}, {}
    for name, (low, high) in ranges.items():
        curve, correct = sweep(
            name, sweep_intensities(name, low, high, cfg.levels), clean, originals, labels, classify, seed
        )
        curves[name] = curve
        found[name] = thresholds(
            name, curve["intensity"].to_numpy(), correct, clean_correct,
            cfg.accuracy_floor, cfg.max_drop, cfg.bootstrap, seed,
        )  # fmt: skip
    return curves, found


def sweep_metrics(
    cfg: ThresholdSweepParams,
    planes: list[str],
    clean_correct: np.ndarray,
    validation_accuracy: float | None,
    final_train_accuracy: float,
    found: dict[str, dict],
) -> dict:
    """metrics/threshold_sweep.json: the plane classifier's accuracies and every threshold with its unit."""
    return {
        "planes": planes,
        "clean_accuracy": float(clean_correct.mean()),
        "validation_accuracy": validation_accuracy,
        "final_train_accuracy": final_train_accuracy,
        "accuracy_floor": cfg.accuracy_floor,
        "max_drop": cfg.max_drop,
        "thresholds": found,
        "units": {name: C.REGISTRY[name].unit for name in found},
    }
