"""The out-of-domain guard: how unlike a model's training images an input is.

Two scores, each divided by its own threshold (the largest of the classes' `guard_quantile`s of
held-out validation images' scores), and the larger one is the domain score; above 1 the input is
out of domain:
- in the model's eyes: the squared Mahalanobis distance of the penultimate features to the
  nearest class mean, one shared covariance with Ledoit-Wolf shrinkage (Lee et al. 2018);
- in the pixels: the distance to the k-th nearest of a sample of training images in a space of
  standardised image statistics (grey-level histogram, brightness, contrast, gradient energy,
  speckle autocorrelation, dark and saturated shares). A network trained to spot corruptions
  can map a photograph onto features it knows; its grey levels and texture give it away.

Corrupted training images count as in domain (finding them is the model's job), so the guard is
fitted on every class. Everything it needs is a non-trainable weight of one identity layer on
the features, saved inside the model.
"""

from __future__ import annotations

import keras
import numpy as np
from keras import layers
from sklearn.covariance import LedoitWolf

from usqc import streams

HISTOGRAM_BINS = 16
STATISTICS = HISTOGRAM_BINS + 12  # columns of image_statistics
REFERENCE_IMAGES = 1024  # training images kept for the nearest-neighbour distance
NEIGHBOUR = 5  # k of the k-th nearest neighbour


@keras.saving.register_keras_serializable(package="usqc")
class DomainGuard(layers.Layer):
    """Identity on the penultimate features; holds the guard's statistics (thresholds 0 until calibrated)."""

    def __init__(self, classes: int, **kwargs):
        super().__init__(dtype="float32", **{k: v for k, v in kwargs.items() if k != "dtype"})
        self.classes = classes

    def build(self, input_shape):
        width = int(input_shape[-1])
        weights = {
            "means": (self.classes, width),
            "precision": (width, width),
            "feature_threshold": (),
            "statistics_mean": (STATISTICS,),
            "statistics_scale": (STATISTICS,),
            "statistics_reference": (REFERENCE_IMAGES, STATISTICS),
            "statistics_threshold": (),
        }
        for name, shape in weights.items():
            setattr(self, name, self.add_weight(shape=shape, initializer="zeros", trainable=False, name=name))

    def call(self, features):
        return features

    def get_config(self):
        return {**super().get_config(), "classes": self.classes}

    @property
    def calibrated(self) -> bool:
        return float(self.feature_threshold.numpy()) > 0


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


def mahalanobis(features: np.ndarray, means: np.ndarray, precision: np.ndarray) -> np.ndarray:
    """Squared Mahalanobis distance of each feature row to the nearest of `means`."""
    features = np.asarray(features, dtype=np.float64)
    distances = []
    for mean in np.asarray(means, dtype=np.float64):
        diff = features - mean
        distances.append(((diff @ precision) * diff).sum(axis=1))  # a BLAS product: einsum's is ~10x slower
    return np.min(distances, axis=0)


def nearest_distance(statistics: np.ndarray, mean, scale, reference: np.ndarray, k: int = NEIGHBOUR) -> np.ndarray:
    """Euclidean distance of each standardised statistics row to its k-th nearest reference row."""
    z = (np.asarray(statistics, dtype=np.float64) - mean) / scale
    reference = np.asarray(reference, dtype=np.float64)
    squared = (z**2).sum(1)[:, None] - 2 * z @ reference.T + (reference**2).sum(1)[None]
    return np.sqrt(np.maximum(np.sort(squared, axis=1)[:, k - 1], 0))


def fit(guard: DomainGuard, features: np.ndarray, images: np.ndarray, labels: np.ndarray, seed: int) -> None:
    """Fit the guard's statistics on training images (features, uint8 images, class labels)."""
    features = np.asarray(features, dtype=np.float64)
    means = np.stack([features[labels == c].mean(axis=0) if (labels == c).any() else features.mean(axis=0)
                      for c in range(guard.classes)])  # fmt: skip
    precision = LedoitWolf(assume_centered=True).fit(features - means[labels]).precision_
    statistics = image_statistics(images)
    mean, scale = statistics.mean(axis=0), statistics.std(axis=0) + 1e-6
    rng = streams.generator(seed, "guard_reference")
    rows = rng.choice(len(statistics), REFERENCE_IMAGES, replace=len(statistics) < REFERENCE_IMAGES)
    guard.means.assign(means.astype(np.float32))
    guard.precision.assign(precision.astype(np.float32))
    guard.statistics_mean.assign(mean.astype(np.float32))
    guard.statistics_scale.assign(scale.astype(np.float32))
    guard.statistics_reference.assign(((statistics[rows] - mean) / scale).astype(np.float32))


def raw_scores(guard: DomainGuard, features: np.ndarray, images: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(feature distance, statistics distance) of each input, before thresholds."""
    return (
        mahalanobis(features, guard.means.numpy(), guard.precision.numpy()),
        nearest_distance(
            image_statistics(images),
            guard.statistics_mean.numpy(),
            guard.statistics_scale.numpy(),
            guard.statistics_reference.numpy(),
        ),
    )


def set_thresholds(
    guard: DomainGuard, features: np.ndarray, images: np.ndarray, labels: np.ndarray, quantile: float
) -> dict:
    """Each score's threshold: the largest over the classes of `quantile` of held-out images' scores,
    so every class keeps at least that share (a pooled quantile let the widest class, the originals,
    lose 6 % of the phantom test originals to VGG16's feature score at 0.99); returns them."""
    by_features, by_statistics = raw_scores(guard, features, images)

    def threshold(scores: np.ndarray) -> float:
        return max(float(np.quantile(scores[labels == c], quantile)) for c in np.unique(labels))

    thresholds = {"features": threshold(by_features), "statistics": threshold(by_statistics)}
    guard.feature_threshold.assign(thresholds["features"])
    guard.statistics_threshold.assign(thresholds["statistics"])
    return thresholds


def domain_scores(guard: DomainGuard, features: np.ndarray, images: np.ndarray) -> np.ndarray:
    """The larger of the two distances over its threshold: above 1 is out of domain (NaN uncalibrated)."""
    if not guard.calibrated:
        return np.full(len(images), np.nan)
    by_features, by_statistics = raw_scores(guard, features, images)
    return np.maximum(
        by_features / float(guard.feature_threshold.numpy()),
        by_statistics / float(guard.statistics_threshold.numpy()),
    )
