"""Calibrated probabilities and an out-of-domain guard, both stored inside the saved model.

- Temperature scaling (Guo et al. 2017): the logits are divided by one scalar fitted on held-out
  validation images, so that P(corrupted) >= 0.8 in `usqc clean` means about 80 % of such files
  are corrupted, on data like the training data.
- The domain guard (usqc.guard), fitted on training images and thresholded on held-out ones:
  `domain_score` above 1 means an input is unlike anything the model was trained on (a
  photograph, a blank frame, an unseen kind of scan) and its class is not to be trusted.

Both are non-trainable weights of two small layers in the model graph (the temperature in the
softmax layer, the guard as an identity layer on the features), so a `.keras` file carries them.
"""

from __future__ import annotations

import functools
import logging

import keras
import numpy as np
from keras import layers, ops
from scipy.optimize import minimize_scalar

from usqc import guard, streams
from usqc.model_input import predict_rows

log = logging.getLogger(__name__)
GUARD, LOGITS, FEATURES, PROBABILITIES = "domain_guard", "logits", "features", "probabilities"
GUARD_FIT_IMAGES = 1024  # training images whose features fit the guard (a seeded sample)


@keras.saving.register_keras_serializable(package="usqc")
class TemperatureSoftmax(layers.Layer):
    """softmax(logits / temperature); the temperature is fitted after training (1 until then)."""

    def __init__(self, **kwargs):
        super().__init__(dtype="float32", **{k: v for k, v in kwargs.items() if k != "dtype"})

    def build(self, input_shape):
        self.temperature = self.add_weight(shape=(), initializer="ones", trainable=False, name="temperature")

    def call(self, logits):
        return ops.softmax(ops.cast(logits, "float32") / self.temperature)


def fit_temperature(logits: np.ndarray, labels: np.ndarray) -> float:
    """The temperature minimising the negative log-likelihood of `labels` (bounded to [0.05, 20])."""
    logits = np.asarray(logits, dtype=np.float64)

    def nll(log_t: float) -> float:
        return negative_log_likelihood(logits / np.exp(log_t), labels)

    return float(np.exp(minimize_scalar(nll, bounds=(np.log(0.05), np.log(20.0)), method="bounded").x))


def negative_log_likelihood(logits: np.ndarray, labels: np.ndarray) -> float:
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    return float(-log_p[np.arange(len(labels)), labels].mean())


def expected_calibration_error(probabilities: np.ndarray, labels: np.ndarray, bins: int = 10) -> float:
    """Mean |accuracy - confidence| over equal-width confidence bins, weighted by their size."""
    confidence = probabilities.max(axis=1)
    correct = probabilities.argmax(axis=1) == labels
    edges = np.minimum((confidence * bins).astype(int), bins - 1)
    return float(sum(abs(correct[edges == b].mean() - confidence[edges == b].mean()) * (edges == b).mean()
                     for b in range(bins) if (edges == b).any()))  # fmt: skip


def features_and_logits(model: keras.Model, images: np.ndarray, rows: np.ndarray, batch_size: int):
    """Penultimate features and logits of `rows` of uint8 `images`, in one pass."""
    heads = keras.Model(model.inputs, [model.get_layer(FEATURES).output, model.get_layer(LOGITS).output])
    return predict_rows(heads, images, rows, batch_size)


def softmax(logits: np.ndarray) -> np.ndarray:
    shifted = np.exp(logits - logits.max(axis=1, keepdims=True))
    return shifted / shifted.sum(axis=1, keepdims=True)


def calibrate(
    model: keras.Model,
    images: np.ndarray,
    labels: np.ndarray,
    fit_rows: np.ndarray,
    val_rows: np.ndarray,
    test_rows: np.ndarray,
    *,
    quantile: float,
    seed: int,
    batch_size: int,
) -> tuple[dict, np.ndarray]:
    """Fit the guard on (a seeded sample of) `fit_rows`, then the temperature and the guard's
    thresholds on `val_rows`, and store them in the model; return what was fitted and the calibrated
    probabilities of `test_rows` (one forward pass serves all three). Without validation rows the
    temperature stays 1 and the thresholds come from the fit sample itself (optimistic: logged)."""
    rng = streams.generator(seed, "guard_fit")
    sample = np.sort(rng.choice(fit_rows, min(len(fit_rows), GUARD_FIT_IMAGES), replace=False))
    if not len(val_rows):
        log.warning("no validation images: the guard thresholds come from training images, temperature stays 1")
    held_out = val_rows if len(val_rows) else sample
    parts = np.cumsum([len(sample), len(held_out)])
    features, logits = features_and_logits(model, images, np.concatenate([sample, held_out, test_rows]), batch_size)
    (fit_features, val_features, _), (_, val_logits, test_logits) = np.split(features, parts), np.split(logits, parts)
    domain = model.get_layer(GUARD)
    guard.fit(domain, fit_features, images[sample], labels[sample], seed)
    truth = labels[held_out]
    temperature = fit_temperature(val_logits, truth) if len(val_rows) else 1.0
    thresholds = guard.set_thresholds(domain, val_features, images[held_out], quantile)
    model.get_layer(PROBABILITIES).temperature.assign(temperature)
    before, after = softmax(val_logits), softmax(val_logits / temperature)
    fitted = {
        "temperature": temperature,
        "guard_thresholds": thresholds,
        "guard_fit_images": int(len(sample)),
        "validation_images": int(len(val_rows)),
        "validation_accuracy": float((val_logits.argmax(axis=1) == truth).mean()) if len(val_rows) else None,
        "validation_nll": {"before": negative_log_likelihood(val_logits, truth),
                           "after": negative_log_likelihood(val_logits / temperature, truth)},
        "validation_ece": {"before": expected_calibration_error(before, truth),
                           "after": expected_calibration_error(after, truth)},
    }  # fmt: skip
    return fitted, softmax(test_logits / temperature)


def predict_guarded(model: keras.Model, images: np.ndarray, batch_size: int = 64) -> tuple[np.ndarray, np.ndarray]:
    """Calibrated class probabilities (n, classes) and domain scores (n,) of uint8 gray images
    (n, s, s); a score above 1 is out of domain, NaN when the model has no calibrated guard."""
    if len(images) == 0:
        return np.zeros((0, model.output_shape[-1]), np.float32), np.zeros(0)
    rows = np.arange(len(images))
    try:
        domain = model.get_layer(GUARD)
    except ValueError:  # a model saved before the guard existed
        return predict_rows(model, images, rows, batch_size), np.full(len(images), np.nan)
    probabilities, features = predict_rows(_with_features(model), images, rows, batch_size)
    return probabilities, guard.domain_scores(domain, features, images)


@functools.lru_cache(maxsize=4)
def _with_features(model: keras.Model) -> keras.Model:
    """The model with its guard's input as a second output, built (and traced) once per model:
    `usqc clean` calls predict_guarded batch after batch."""
    return keras.Model(model.inputs, [model.output, model.get_layer(GUARD).output])
