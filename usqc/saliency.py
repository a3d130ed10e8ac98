"""Gradient saliency (Simonyan et al. 2014; thesis annex A.1): which pixels move a class score most."""

from __future__ import annotations

import keras
import numpy as np

from usqc.backend import input_gradients
from usqc.calibration import LOGITS
from usqc.corruptions import LABELS
from usqc.figures import saliency_figure
from usqc.model_input import as_model_input
from usqc.training import predict


def class_logits(model: keras.Model) -> keras.Model:
    """The model up to its logits layer, without the softmax: the class scores.

    The gradient of a softmax probability vanishes once the model is confident; the score's does not.
    """
    return keras.Model(model.inputs, model.get_layer(LOGITS).output, name=f"{model.name}_logits")


def gradient_saliency(model: keras.Model, images: np.ndarray, class_ids: np.ndarray) -> np.ndarray:
    """|d score(class) / d pixel| for uint8 gray images (n, s, s), each map scaled to [0, 1].

    The model sees the gray image in three identical channels, so the gradient with respect to a
    gray pixel is the sum over channels.
    """
    maps = np.abs(input_gradients(class_logits(model), as_model_input(images), class_ids).sum(axis=-1))
    peak = maps.reshape(len(maps), -1).max(axis=1)
    return maps / np.where(peak > 0, peak, 1)[:, None, None]


def saliency_panel(model: keras.Model, examples: dict[str, np.ndarray], path) -> None:
    """Gradient saliency of the predicted class for each example image, one row per true class."""
    images = np.concatenate(list(examples.values()))
    probabilities = predict(model, images)
    predicted = probabilities.argmax(axis=1)
    maps = gradient_saliency(model, images, predicted)
    truth = [label for label, batch in examples.items() for _ in batch]
    names = [LABELS[k] for k in predicted]
    titles = [f"{t} → {n} {p.max():.2f}" for t, n, p in zip(truth, names, probabilities, strict=True)]
    saliency_figure(list(images), list(maps), titles, len(examples), path)
