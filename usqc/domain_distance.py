"""How far inputs lie from a set of training images, in NumPy only: the out-of-domain guard's
distances and thresholds, shared by the CNNs' guard layer (usqc.guard) and the classical baseline,
which must not import Keras.

- features: the squared Mahalanobis distance to the nearest class mean, one shared covariance
  with Ledoit-Wolf shrinkage (Lee et al. 2018);
- pixels: the distance to the k-th nearest of a sample of training images in a space of
  standardised image statistics (grey-level histogram, brightness, contrast, gradient energy,
  speckle autocorrelation, dark and saturated shares).
"""

from __future__ import annotations

import numpy as np
from sklearn.covariance import LedoitWolf

from usqc import streams

HISTOGRAM_BINS = 16
STATISTICS = HISTOGRAM_BINS + 12  # columns of image_statistics
REFERENCE_IMAGES = 1024  # training images kept for the nearest-neighbour distance
NEIGHBOUR = 5  # k of the k-th nearest neighbour


def image_statistics(images: np.ndarray) -> np.ndarray:
    """(n, STATISTICS) statistics of uint8 gray images (n, s, s): sqrt of the grey-level histogram,
    mean, std, mean |dx| and |dy|, autocorrelation at 1 and 3 px on both axes, dark and saturated
    shares, and the spread of the row and column means (large for bands, strips and sectors)."""
    x = np.asarray(images, dtype=np.float32) / 255
    flat = x.reshape(len(x), -1)
    histogram = np.stack([np.histogram(f, bins=HISTOGRAM_BINS, range=(0, 1))[0] for f in flat]) / flat.shape[1]
    centred = x - x.mean(axis=(1, 2), keepdims=True)
    variance = centred.var(axis=(1, 2)) + 1e-6

    def autocorrelation(lag: int, axis: int) -> np.ndarray:
        return (centred * np.roll(centred, lag, axis=axis)).mean(axis=(1, 2)) / variance

    columns = [
        np.sqrt(histogram),
        flat.mean(axis=1),
        flat.std(axis=1),
        np.abs(np.diff(x, axis=2)).mean(axis=(1, 2)),
        np.abs(np.diff(x, axis=1)).mean(axis=(1, 2)),
        *(autocorrelation(lag, axis) for lag in (1, 3) for axis in (1, 2)),
        (flat < 0.04).mean(axis=1),
        (flat > 0.96).mean(axis=1),
        x.mean(axis=2).std(axis=1),
        x.mean(axis=1).std(axis=1),
    ]
    return np.column_stack(columns)


def class_means_and_precision(features: np.ndarray, labels: np.ndarray, classes: int) -> tuple[np.ndarray, np.ndarray]:
    """Each class's mean feature row (the overall mean for a class without rows) and the precision
    of the rows about their class means (Ledoit-Wolf)."""
    features = np.asarray(features, dtype=np.float64)
    means = np.stack([features[labels == c].mean(axis=0) if (labels == c).any() else features.mean(axis=0)
                      for c in range(classes)])  # fmt: skip
    return means, LedoitWolf(assume_centered=True).fit(features - means[labels]).precision_


def mahalanobis(features: np.ndarray, means: np.ndarray, precision: np.ndarray) -> np.ndarray:
    """Squared Mahalanobis distance of each feature row to the nearest of `means`."""
    features = np.asarray(features, dtype=np.float64)
    distances = []
    for mean in np.asarray(means, dtype=np.float64):
        diff = features - mean
        distances.append(((diff @ precision) * diff).sum(axis=1))  # a BLAS product: einsum's is ~10x slower
    return np.min(distances, axis=0)


def statistics_reference(statistics: np.ndarray, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The standardisation (mean, scale) of training images' statistics, and a seeded sample of
    REFERENCE_IMAGES standardised rows for nearest_distance."""
    mean, scale = statistics.mean(axis=0), statistics.std(axis=0) + 1e-6
    rng = streams.generator(seed, "guard_reference")
    rows = rng.choice(len(statistics), REFERENCE_IMAGES, replace=len(statistics) < REFERENCE_IMAGES)
    return mean, scale, (statistics[rows] - mean) / scale


def nearest_distance(statistics: np.ndarray, mean, scale, reference: np.ndarray, k: int = NEIGHBOUR) -> np.ndarray:
    """Euclidean distance of each standardised statistics row to its k-th nearest reference row."""
    z = (np.asarray(statistics, dtype=np.float64) - mean) / scale
    reference = np.asarray(reference, dtype=np.float64)
    squared = (z**2).sum(1)[:, None] - 2 * z @ reference.T + (reference**2).sum(1)[None]
    return np.sqrt(np.maximum(np.sort(squared, axis=1)[:, k - 1], 0))


def class_quantile_threshold(scores: np.ndarray, labels: np.ndarray, quantile: float) -> float:
    """The largest over the classes of `quantile` of held-out images' scores, so every class keeps
    at least that share (a pooled quantile let the widest class, the originals, lose 6 % of the
    phantom test originals to VGG16's feature score at 0.99)."""
    return max(float(np.quantile(scores[labels == c], quantile)) for c in np.unique(labels))


def domain_score(
    by_features: np.ndarray, feature_threshold: float, by_statistics: np.ndarray, statistics_threshold: float
) -> np.ndarray:
    """The larger of the two distances over its threshold: above 1 is out of domain."""
    return np.maximum(by_features / feature_threshold, by_statistics / statistics_threshold)
