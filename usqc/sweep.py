"""Thesis §6: one intensity at a time, the same corruption on every clean test image.

For each level: the plane classifier's accuracy on the corrupted test images and the SSIM of
each corrupted image against its original.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from tqdm import tqdm

from usqc import corruptions as C
from usqc.similarity import ssim


def sweep_intensities(name: str, low: float, high: float, count: int) -> np.ndarray:
    """`count` evenly spaced intensities; blur radii are whole pixels, so repeats are dropped."""
    values = np.linspace(low, high, count)
    return np.unique(np.round(values)) if name == "blur" else values


def originals_at(clean: np.ndarray, size: int) -> np.ndarray:
    """The clean images as the models see them: resized to `size` as the corrupt stage does."""
    return np.stack([C.to_uint8(C.resize(C.to_float(image), size)) for image in clean])


def corrupt_all(
    clean: np.ndarray, originals: np.ndarray, name: str, intensity: float, key: Sequence[int]
) -> tuple[np.ndarray, np.ndarray]:
    """Every clean image corrupted at `intensity` (uint8 at the originals' size) and its SSIM.

    Image i draws from the generator seeded with (*key, i): `key` names the run, corruption and level.
    """
    size = originals.shape[1]
    images = np.empty_like(originals)
    scores = np.empty(len(clean))
    for i, image in enumerate(clean):
        rng = np.random.default_rng([*key, i])
        images[i] = C.to_uint8(C.REGISTRY[name].apply(C.to_float(image), float(intensity), rng, size))
        scores[i] = ssim(C.to_float(originals[i]), C.to_float(images[i]))
    return images, scores


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
        images, scores = corrupt_all(clean, originals, name, intensity, (seed, C.LABELS.index(name), level))
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
