"""The classical baseline: no-reference image features and a gradient-boosted tree classifier.

Does a handful of classical measurements already tell the four classes apart as the CNNs do?
Features of a uint8 gray image at model size (all scale-free in intensity where it matters):
- histogram: mean, spread, skew, kurtosis, percentiles, dark share;
- field of view: the dark share of each border strip (a crop cuts the sector's dark surround away);
- noise: the wavelet (MAD) noise estimate, and the spread inside dark, flat regions;
- sharpness: Laplacian variance, mean gradient, gradient energy per unit of variance;
- speckle: autocorrelation of the high-passed image at 1, 2 and 4 px along each axis;
- spectrum: the share of power in four radial frequency bands;
- interpolation traces: second- against first-difference energy along each axis (resampling
  smooths pixel-scale steps).

Calibrated and guarded as the CNNs are, without Keras: a temperature on the trees' raw scores
(no class biases, so every argmax stays the trees') and the CNNs' two out-of-domain distances
(usqc.domain_distance), the Mahalanobis one on these standardised features. Both are cross-fitted
by patient: each fold's images are scored by trees and a guard fitted on the other folds, so the
temperature and the guard's thresholds come from images the scoring model never saw, while the
saved trees and guard statistics use every training image.
"""

from __future__ import annotations

import pickle
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy import ndimage, stats
from sklearn.base import clone
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.model_selection import GroupKFold
from tqdm import tqdm

from usqc import domain_distance as distance
from usqc import streams
from usqc.errors import UsqcError
from usqc.temperature_scaling import expected_calibration_error, fit_calibration, negative_log_likelihood, softmax

DARK = 0.04  # below this (of 1) a pixel is the sector's black surround or deep fluid
BORDER = 4  # px of each border strip
LAGS = (1, 2, 4)
BANDS = (0.0, 0.125, 0.25, 0.375, 0.5)  # cycles per pixel
FOLDS = 5  # cross-fitting folds of the calibration and the guard's thresholds


def feature_names() -> list[str]:
    names = ["mean", "std", "skew", "kurtosis", "p05", "p50", "p95", "dark_share"]
    names += [f"dark_{side}" for side in ("top", "bottom", "left", "right")]
    names += ["noise_wavelet", "noise_dark", "laplacian_var", "gradient_mean", "gradient_per_var"]
    names += [f"autocorr_{axis}{lag}" for axis in "yx" for lag in LAGS]
    names += [f"band_{k}" for k in range(len(BANDS) - 1)]
    names += [f"interp_{axis}" for axis in "yx"]
    return names


def image_features(gray: np.ndarray) -> np.ndarray:
    """The feature vector (feature_names() order) of one uint8 gray image."""
    x = gray.astype(np.float64) / 255.0
    flat = x.ravel()
    values = [flat.mean(), flat.std(), stats.skew(flat), stats.kurtosis(flat), *np.percentile(flat, (5, 50, 95))]
    dark = x < DARK
    values += [
        dark.mean(),
        dark[:BORDER].mean(),
        dark[-BORDER:].mean(),
        dark[:, :BORDER].mean(),
        dark[:, -BORDER:].mean(),
    ]

    smooth = ndimage.uniform_filter(x, 5)
    residual = x - smooth
    # noise where the scan is dark and flat (the median ignores the noise itself)
    still = dark_median(dark)
    values += [haar_noise(x), (x - ndimage.median_filter(x, 3))[still].std() if still.sum() > 20 else 0.0]

    laplacian = ndimage.laplace(x)
    gradient = np.hypot(ndimage.sobel(x, 0), ndimage.sobel(x, 1))
    values += [laplacian.var(), gradient.mean(), (gradient**2).mean() / (x.var() + 1e-8)]

    energy = (residual**2).mean() + 1e-12
    for axis in (0, 1):
        for lag in LAGS:
            a, b = np.moveaxis(residual, axis, 0)[:-lag], np.moveaxis(residual, axis, 0)[lag:]
            values.append((a * b).mean() / energy)

    power = np.abs(np.fft.fft2(x - x.mean())) ** 2
    fy, fx = np.meshgrid(np.fft.fftfreq(x.shape[0]), np.fft.fftfreq(x.shape[1]), indexing="ij")
    radius = np.hypot(fy, fx)
    total = power.sum() + 1e-12
    values += [power[(radius >= lo) & (radius < hi)].sum() / total for lo, hi in zip(BANDS, BANDS[1:], strict=False)]

    for axis in (0, 1):
        first = np.abs(np.diff(x, 1, axis)).mean() + 1e-12
        values.append(np.abs(np.diff(x, 2, axis)).mean() / first)
    return np.asarray(values, dtype=np.float64)


def dark_median(dark: np.ndarray, size: int = 5) -> np.ndarray:
    """Where the size x size median of the image is dark, from its dark mask: the median is under
    DARK exactly where most of the window is, and counting is cheaper than ndimage.median_filter."""
    window = np.ones((size, size), np.uint8)
    return ndimage.correlate(dark.astype(np.uint8), window) > size * size // 2  # reflected edges, as the median's


def haar_noise(x: np.ndarray) -> float:
    """Donoho's noise estimate: the median absolute finest diagonal Haar coefficient / 0.6745."""
    even = x[: x.shape[0] // 2 * 2, : x.shape[1] // 2 * 2]
    diagonal = (even[0::2, 0::2] - even[0::2, 1::2] - even[1::2, 0::2] + even[1::2, 1::2]) / 2
    return float(np.median(np.abs(diagonal)) / 0.6745)


def features(images: np.ndarray, progress: bool = False) -> np.ndarray:
    """(n, features) for uint8 gray images (n, s, s)."""
    rows = tqdm(images, desc="features", unit="img", mininterval=5, disable=not progress)
    return np.stack([image_features(image) for image in rows]) if len(images) else np.zeros((0, len(feature_names())))


@dataclass
class FeatureGuard:
    """The CNNs' two out-of-domain distances on the baseline's inputs: Mahalanobis to the nearest
    class mean of the standardised features, and the image statistics' k-th nearest training image;
    each over its threshold, the larger is the domain score (above 1: out of domain)."""

    feature_mean: np.ndarray
    feature_scale: np.ndarray
    means: np.ndarray
    precision: np.ndarray
    statistics_mean: np.ndarray
    statistics_scale: np.ndarray
    reference: np.ndarray
    feature_threshold: float = np.nan
    statistics_threshold: float = np.nan

    @classmethod
    def fit(
        cls, table: np.ndarray, statistics: np.ndarray, labels: np.ndarray, classes: int, seed: int
    ) -> FeatureGuard:
        mean, scale = table.mean(axis=0), table.std(axis=0) + 1e-9
        means, precision = distance.class_means_and_precision((table - mean) / scale, labels, classes)
        return cls(mean, scale, means, precision, *distance.statistics_reference(statistics, seed))

    def distances(self, table: np.ndarray, statistics: np.ndarray) -> np.ndarray:
        """(n, 2): the feature and the statistics distance, before thresholds; infinite where a
        feature is not finite (a blank frame has no skew), so such an input is out of domain."""
        finite = np.isfinite(table).all(axis=1)
        by_features = np.full(len(table), np.inf)
        by_features[finite] = distance.mahalanobis(
            (table[finite] - self.feature_mean) / self.feature_scale, self.means, self.precision
        )
        by_statistics = distance.nearest_distance(
            statistics, self.statistics_mean, self.statistics_scale, self.reference
        )
        return np.column_stack([by_features, by_statistics])

    def set_thresholds(self, distances: np.ndarray, labels: np.ndarray, quantile: float) -> dict:
        self.feature_threshold = distance.class_quantile_threshold(distances[:, 0], labels, quantile)
        self.statistics_threshold = distance.class_quantile_threshold(distances[:, 1], labels, quantile)
        return {"features": self.feature_threshold, "statistics": self.statistics_threshold}

    def scores(self, table: np.ndarray, statistics: np.ndarray) -> np.ndarray:
        distances = self.distances(table, statistics)
        return distance.domain_score(
            distances[:, 0], self.feature_threshold, distances[:, 1], self.statistics_threshold
        )


class Baseline:
    """Features + gradient-boosted trees; `predict` takes uint8 gray images like the CNNs' inference."""

    # a pickle saved before calibration and guard existed loads uncalibrated and unguarded
    temperature = 1.0
    guard: FeatureGuard | None = None
    calibration: dict | None = None

    def __init__(self, image_size: int, max_iter: int, learning_rate: float, seed: int):
        self.image_size = image_size
        self.seed = seed
        self.classifier = HistGradientBoostingClassifier(
            max_iter=max_iter, learning_rate=learning_rate, early_stopping=False,
            random_state=streams.integer(seed, "baseline"),
        )  # fmt: skip

    def fit(
        self, images: np.ndarray, labels: np.ndarray, groups: np.ndarray | None = None, guard_quantile: float = 0.99
    ) -> Baseline:
        """The trees on every image; with `groups` (one patient per id), also the temperature and
        the domain guard, cross-fitted by patient (module docstring)."""
        patients = 0 if groups is None else len(np.unique(groups))
        if groups is not None and patients < FOLDS:
            raise UsqcError(
                f"the baseline's calibration needs {FOLDS} patients or more in the train split, not {patients}"
            )
        table = features(images, progress=True)
        self.classifier.fit(table, labels)
        if groups is not None:
            self.calibration = self._calibrate(
                table, distance.image_statistics(images), labels, np.asarray(groups), guard_quantile
            )
        return self

    def _calibrate(
        self, table: np.ndarray, statistics: np.ndarray, labels: np.ndarray, groups: np.ndarray, quantile: float
    ) -> dict:
        classes = len(self.classifier.classes_)
        logits, distances = np.zeros((len(table), classes)), np.zeros((len(table), 2))
        for fit_rows, held in GroupKFold(FOLDS).split(table, labels, groups):
            trees = clone(self.classifier).fit(table[fit_rows], labels[fit_rows])
            logits[held] = trees.decision_function(table[held])
            guard = FeatureGuard.fit(table[fit_rows], statistics[fit_rows], labels[fit_rows], classes, self.seed)
            distances[held] = guard.distances(table[held], statistics[held])
        self.temperature, _ = fit_calibration(logits, labels, class_biases=False)
        self.guard = FeatureGuard.fit(table, statistics, labels, classes, self.seed)
        thresholds = self.guard.set_thresholds(distances, labels, quantile)
        before, after = softmax(logits), softmax(logits / self.temperature)
        return {
            "temperature": self.temperature,
            "guard_thresholds": thresholds,
            "cross_fitted_images": int(len(table)),
            "folds": FOLDS,
            "cross_fitted_accuracy": float((logits.argmax(axis=1) == labels).mean()),
            "cross_fitted_nll": {"before": negative_log_likelihood(logits, labels),
                                 "after": negative_log_likelihood(logits / self.temperature, labels)},
            "cross_fitted_ece": {"before": expected_calibration_error(before, labels),
                                 "after": expected_calibration_error(after, labels)},
        }  # fmt: skip

    def predict(self, images: np.ndarray) -> np.ndarray:
        return self.classifier.predict(self._features(images)) if len(images) else np.zeros(0, dtype=int)

    def predict_proba(self, images: np.ndarray) -> np.ndarray:
        """Calibrated probabilities, one per class (C.LABELS order) per image, as the CNNs' softmax gives them."""
        if not len(images):
            return np.zeros((0, len(self.classifier.classes_)))
        return self._calibrated(self._features(images))

    def predict_guarded(self, images: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Calibrated probabilities and domain scores (above 1: out of domain; NaN without a guard),
        as `usqc.calibration.predict_guarded` gives a CNN's; the features are computed once for both."""
        if not len(images):
            return self.predict_proba(images), np.zeros(0)
        table = self._features(images)
        if self.guard is None:
            return self._calibrated(table), np.full(len(images), np.nan)
        return self._calibrated(table), self.guard.scores(table, distance.image_statistics(images))

    def _calibrated(self, table: np.ndarray) -> np.ndarray:
        return softmax(self.classifier.decision_function(table) / self.temperature)

    def _features(self, images: np.ndarray) -> np.ndarray:
        if images.shape[1] != self.image_size:
            raise UsqcError(f"the baseline was trained at {self.image_size} px, not {images.shape[1]}; rerun it")
        return features(images)

    def save(self, path: Path) -> None:
        path.write_bytes(pickle.dumps(self))


def load_baseline(path: Path) -> Baseline:
    try:
        model = pickle.loads(Path(path).read_bytes())
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError) as exc:
        raise UsqcError(f"{path}: baseline model unreadable ({exc}); run dvc repro train_baseline") from None
    if not isinstance(model, Baseline):
        raise UsqcError(f"{path}: not a usqc baseline model; run dvc repro train_baseline")
    return model
