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

The distances are usqc.domain_distance's. Corrupted training images count as in domain (finding
them is the model's job), so the guard is fitted on every class. Everything it needs is a
non-trainable weight of one identity layer on the features, saved inside the model.
"""

from __future__ import annotations

import keras
import numpy as np
from keras import layers

from usqc.domain_distance import (
    REFERENCE_IMAGES,
    STATISTICS,
    class_means_and_precision,
    class_quantile_threshold,
    domain_score,
    image_statistics,
    mahalanobis,
    nearest_distance,
    statistics_reference,
)


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


def fit(guard: DomainGuard, features: np.ndarray, images: np.ndarray, labels: np.ndarray, seed: int) -> None:
    """Fit the guard's statistics on training images (features, uint8 images, class labels)."""
    means, precision = class_means_and_precision(features, labels, guard.classes)
    mean, scale, reference = statistics_reference(image_statistics(images), seed)
    guard.means.assign(means.astype(np.float32))
    guard.precision.assign(precision.astype(np.float32))
    guard.statistics_mean.assign(mean.astype(np.float32))
    guard.statistics_scale.assign(scale.astype(np.float32))
    guard.statistics_reference.assign(reference.astype(np.float32))


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
    """Each score's threshold from held-out images (domain_distance.class_quantile_threshold); returns them."""
    by_features, by_statistics = raw_scores(guard, features, images)
    thresholds = {
        "features": class_quantile_threshold(by_features, labels, quantile),
        "statistics": class_quantile_threshold(by_statistics, labels, quantile),
    }
    guard.feature_threshold.assign(thresholds["features"])
    guard.statistics_threshold.assign(thresholds["statistics"])
    return thresholds


def domain_scores(guard: DomainGuard, features: np.ndarray, images: np.ndarray) -> np.ndarray:
    """The larger of the two distances over its threshold: above 1 is out of domain (NaN uncalibrated)."""
    if not guard.calibrated:
        return np.full(len(images), np.nan)
    by_features, by_statistics = raw_scores(guard, features, images)
    return domain_score(
        by_features, float(guard.feature_threshold.numpy()), by_statistics, float(guard.statistics_threshold.numpy())
    )
