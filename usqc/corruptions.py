"""The thesis' corruptions (§4.2) as pure functions, and a registry of their units and ranges.

Order of operations as in the thesis code: the crop is taken from the clean 224 x 224 image and
resized to the model size (174: an upsampling); blur and noise act on the original after its
224 -> 174 resize (a downsampling). Intensity units therefore are: scale_up = fraction of the
image area lost; blur = median disk radius in pixels at the model size; noise = Gaussian sigma
on a [0, 1] image.

One deliberate departure: the thesis draws the second crop of the height axis as
`randint(75, 100) - width_crop_a`, reusing the width draw, so that axis loses 25-150 px. The
intended rule is implemented here: per axis a total of 75-100 px, split between its two sides.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import cv2
import numpy as np
from scipy import ndimage
from skimage.filters import rank
from skimage.morphology import disk

LABELS = ("original", "scale_up", "blur", "noise")
NONE = "none"  # an image no corruption was applied to
_RANK_MEDIAN_FROM = 3  # disk radius from which the histogram (rank) median beats a sorting median


def to_float(image: np.ndarray) -> np.ndarray:
    return image.astype(np.float32) / np.float32(255)


def to_uint8(image: np.ndarray) -> np.ndarray:
    return np.clip(np.rint(image * 255), 0, 255).astype(np.uint8)


def resize(image: np.ndarray, size: int) -> np.ndarray:
    """cv2.resize with its default bilinear interpolation, as the thesis."""
    return cv2.resize(image, (size, size), interpolation=cv2.INTER_LINEAR)


# --- scale up -----------------------------------------------------------------------------------


def crop_resize(image: np.ndarray, crops: tuple[tuple[int, int], tuple[int, int]], size: int) -> np.ndarray:
    """Cut ((top, bottom), (left, right)) pixels from the sides, resize to `size` (the zoom)."""
    (top, bottom), (left, right) = crops
    rows, cols = image.shape
    return resize(np.ascontiguousarray(image[top : rows - bottom, left : cols - right]), size)


def lost_fraction(shape: tuple[int, int], crops) -> float:
    (top, bottom), (left, right) = crops
    return 1 - (shape[0] - top - bottom) * (shape[1] - left - right) / (shape[0] * shape[1])


def thesis_crops(
    rng: np.random.Generator, total_px: tuple[int, int], side_px: tuple[int, int] = (25, 75), bug: bool = False
):
    """Per axis (rows, columns): a total crop in `total_px` (inclusive), its first side in `side_px`,
    the rest opposite. bug: the thesis code's `height_crop_b = randint(75,100) - width_crop_a`, whose
    rows then lose 25-150 px instead of 75-100."""
    crops = []
    for _ in range(2):
        total = int(rng.integers(total_px[0], total_px[1] + 1))
        first = int(rng.integers(min(side_px[0], total), min(side_px[1], total) + 1))
        crops.append((first, total - first))
    if bug:
        (rows_first, rows_second), (cols_first, _) = crops
        crops[0] = (rows_first, max(0, rows_first + rows_second - cols_first))
    return tuple(crops)


def crops_for_fraction(shape: tuple[int, int], fraction: float, rng: np.random.Generator):
    """Crops losing `fraction` of the area equally on both axes, each axis split at random."""
    crops = []
    for side in shape:
        total = int(round(side * (1 - math.sqrt(1 - fraction))))
        first = int(round(total * rng.uniform(0.25, 0.75)))
        crops.append((first, total - first))
    return tuple(crops)


def scale_up(clean: np.ndarray, fraction: float, rng: np.random.Generator, size: int) -> np.ndarray:
    return crop_resize(clean, crops_for_fraction(clean.shape, fraction, rng), size)


# --- blur ---------------------------------------------------------------------------------------


def median_disk(image: np.ndarray, radius: int) -> np.ndarray:
    """skimage.filters.median(image, disk(radius)) with edge ('nearest') borders, on uint8.

    Identical values; for radius >= 3 a histogram (rank) median on the edge-padded image, whose
    cost grows with the radius instead of with the disk's area.
    """
    if radius < 1:
        return image.copy()
    footprint = disk(radius)
    if radius < _RANK_MEDIAN_FROM:
        return ndimage.median_filter(image, footprint=footprint, mode="nearest")
    padded = np.pad(image, radius, mode="edge")
    return rank.median(padded, footprint)[radius:-radius, radius:-radius]


def blur(image: np.ndarray, radius: float, rng: np.random.Generator | None = None) -> np.ndarray:
    """Median blur of a float [0, 1] image with a disk of `radius` pixels (rounded)."""
    return to_float(median_disk(to_uint8(image), int(round(radius))))


# --- noise --------------------------------------------------------------------------------------


def noise(image: np.ndarray, sigma: float, rng: np.random.Generator) -> np.ndarray:
    """skimage.util.random_noise(image, mode="gaussian", var=sigma**2): add N(0, sigma), clip to [0, 1]."""
    noisy = image + np.float32(sigma) * rng.standard_normal(image.shape, dtype=np.float32)
    return np.clip(noisy, 0, 1)


# --- registry -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Corruption:
    name: str
    unit: str  # what the intensity measures, for axis labels
    thesis_rule: str  # how the thesis samples it for the training set
    apply_at: Callable[[np.ndarray, float, np.random.Generator, int], np.ndarray]

    def apply(self, clean: np.ndarray, intensity: float, rng: np.random.Generator, size: int) -> np.ndarray:
        """Corrupt a float clean image (clean size) at `intensity`; returns a float `size` image."""
        return self.apply_at(clean, intensity, rng, size)


REGISTRY: dict[str, Corruption] = {
    "scale_up": Corruption(
        "scale_up",
        "fraction of image area lost",
        "per axis a crop of 75-100 px at 224 px, 25-75 px of it on one side",
        scale_up,
    ),
    "blur": Corruption(
        "blur",
        "median disk radius (px at model size)",
        "disk radius uniform in 1-10 px",
        lambda clean, r, rng, size: blur(resize(clean, size), r),
    ),
    "noise": Corruption(
        "noise",
        "Gaussian sigma on [0, 1]",
        "sigma in {0.1, 0.2, 0.3, 0.4, 0.5}",
        lambda clean, s, rng, size: noise(resize(clean, size), s, rng),
    ),
}
