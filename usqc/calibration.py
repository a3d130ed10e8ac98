"""Calibrated probabilities and an out-of-domain guard, both stored inside the saved model.

- Bias-corrected temperature scaling (usqc.temperature_scaling): the logits are
  divided by one scalar and shifted by one bias per class, all fitted on held-out validation
  images, so that P(corrupted) >= 0.8 in `usqc clean` means about 80 % of such files are
  corrupted, on data like the training data. The biases matter after a short training from
  scratch: such a model over-calls some classes (the reference profile's VGG16 of commit 7081556
  recalled 0.42 of the phantom test split's original class), and the argmax follows the biases.
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

from usqc import guard, streams
from usqc.model_input import predict_rows
from usqc.temperature_scaling import (
    calibrated_logits,
    expected_calibration_error,
    fit_calibration,
    negative_log_likelihood,
    softmax,
)

log = logging.getLogger(__name__)
GUARD, LOGITS, FEATURES, PROBABILITIES = "domain_guard", "logits", "features", "probabilities"
GUARD_FIT_IMAGES = 1024  # training images whose features fit the guard (a seeded sample)


@keras.saving.register_keras_serializable(package="usqc")
class TemperatureSoftmax(layers.Layer):
    """softmax(logits / temperature + bias); both fitted after training (1 and 0 until then)."""

    def __init__(self, **kwargs):
        super().__init__(dtype="float32", **{k: v for k, v in kwargs.items() if k != "dtype"})

    def build(self, input_shape):
        self.temperature = self.add_weight(shape=(), initializer="ones", trainable=False, name="temperature")
        self.bias = self.add_weight(shape=(input_shape[-1],), initializer="zeros", trainable=False, name="bias")

    def call(self, logits):
        return ops.softmax(ops.cast(logits, "float32") / self.temperature + self.bias)

    def load_own_variables(self, store):
        if len(store.keys()) == 1:  # a model saved before the biases existed: they stay 0
            self.temperature.assign(store["0"])
            return
        super().load_own_variables(store)


def features_and_logits(model: keras.Model, images: np.ndarray, rows: np.ndarray, batch_size: int):
    """Penultimate features and logits of `rows` of uint8 `images`, in one pass."""
    heads = keras.Model(model.inputs, [model.get_layer(FEATURES).output, model.get_layer(LOGITS).output])
    return predict_rows(heads, images, rows, batch_size)


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
    """Fit the guard on (a seeded sample of) `fit_rows`, then the temperature, the class biases and
    the guard's thresholds on `val_rows`, and store them in the model; return what was fitted and the
    calibrated probabilities of `test_rows` (one forward pass serves all three). Without validation
    rows the temperature stays 1, the biases 0, and the thresholds come from the fit sample itself
    (optimistic: logged)."""
    rng = streams.generator(seed, "guard_fit")
    sample = np.sort(rng.choice(fit_rows, min(len(fit_rows), GUARD_FIT_IMAGES), replace=False))
    if not len(val_rows):
        log.warning("no validation images: guard thresholds from training images, temperature 1, biases 0")
    held_out = val_rows if len(val_rows) else sample
    parts = np.cumsum([len(sample), len(held_out)])
    features, logits = features_and_logits(model, images, np.concatenate([sample, held_out, test_rows]), batch_size)
    (fit_features, val_features, _), (_, val_logits, test_logits) = np.split(features, parts), np.split(logits, parts)
    domain = model.get_layer(GUARD)
    guard.fit(domain, fit_features, images[sample], labels[sample], seed)
    truth = labels[held_out]
    n_classes = val_logits.shape[1]
    temperature, bias = fit_calibration(val_logits, truth) if len(val_rows) else (1.0, np.zeros(n_classes))
    thresholds = guard.set_thresholds(domain, val_features, images[held_out], truth, quantile)
    softmax_layer = model.get_layer(PROBABILITIES)
    softmax_layer.temperature.assign(temperature)
    softmax_layer.bias.assign(bias.astype(np.float32))
    scaled = calibrated_logits(val_logits, temperature, bias)
    before, after = softmax(val_logits), softmax(scaled)
    fitted = {
        "temperature": temperature,
        "class_bias": [float(b) for b in bias],
        "guard_thresholds": thresholds,
        "guard_fit_images": int(len(sample)),
        "validation_images": int(len(val_rows)),
        "validation_accuracy": float((after.argmax(axis=1) == truth).mean()) if len(val_rows) else None,
        "validation_nll": {"before": negative_log_likelihood(val_logits, truth),
                           "after": negative_log_likelihood(scaled, truth)},
        "validation_ece": {"before": expected_calibration_error(before, truth),
                           "after": expected_calibration_error(after, truth)},
    }  # fmt: skip
    return fitted, softmax(calibrated_logits(test_logits, temperature, bias))


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
