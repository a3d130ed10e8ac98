"""Structural similarity between an original and its corrupted copy."""

from __future__ import annotations

import numpy as np
from skimage.metrics import structural_similarity


def ssim(original: np.ndarray, corrupted: np.ndarray) -> float:
    """SSIM of two float [0, 1] images of equal size (data_range=1).

    skimage defaults, stated: 7 x 7 uniform window, K1 = 0.01, K2 = 0.03, sample covariance,
    mean over the valid (non-border) window positions; no Gaussian weighting.
    """
    return float(structural_similarity(original, corrupted, data_range=1.0))
