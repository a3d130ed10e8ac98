"""A set of clean images as the models see them, and the same set corrupted at one intensity.

Shared by the stages that corrupt on the fly (threshold_sweep, ssim_eval, real_eval): every image
draws from its own generator, so a result never depends on batch order or on the other images.
"""

from __future__ import annotations

import numpy as np

from usqc import corruptions as C
from usqc import streams
from usqc.similarity import ssim


def originals_at(clean: np.ndarray, size: int) -> np.ndarray:
    """The clean images as the models see them: resized to `size` as the corrupt stage does."""
    return np.stack([C.to_uint8(C.resize(C.to_float(image), size)) for image in clean])


def corrupt_all(
    clean: np.ndarray, originals: np.ndarray, name: str, intensity: float, seed: int, purpose: str, level: int
) -> tuple[np.ndarray, np.ndarray]:
    """Every clean image corrupted at `intensity` (uint8 at the originals' size) and its SSIM.

    Image i draws from stream (seed, purpose, name, level, i): `purpose` names the stage's use.
    """
    size = originals.shape[1]
    images = np.empty_like(originals)
    scores = np.empty(len(clean))
    for i, image in enumerate(clean):
        rng = streams.generator(seed, purpose, name, level, i)
        images[i] = C.to_uint8(C.REGISTRY[name].apply(C.to_float(image), float(intensity), rng, size))
        scores[i] = ssim(C.to_float(originals[i]), C.to_float(images[i]))
    return images, scores
