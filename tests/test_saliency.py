"""Gradient saliency: the class scores are the pre-softmax logits; pixels the model ignores get zero."""

import keras
import numpy as np

from usqc.model_input import as_model_input
from usqc.models import build
from usqc.saliency import class_logits, gradient_saliency


def left_half_model(size: int = 16) -> keras.Model:
    inputs = keras.Input((size, size, 3))
    x = keras.layers.Cropping2D(((0, 0), (0, size // 2)))(inputs)  # keeps columns 0 .. size/2 - 1
    logits = keras.layers.Dense(4, name="logits")(keras.layers.Flatten()(x))
    return keras.Model(inputs, keras.layers.Softmax()(logits))


def images(n: int, size: int) -> np.ndarray:
    return np.random.default_rng(0).integers(0, 256, (n, size, size), dtype=np.uint8)


def test_logits_give_the_model_probabilities_through_softmax():
    keras.utils.set_random_seed(0)
    model = build("vgg16", 32, 4, "none")
    x = as_model_input(images(3, 32))
    probabilities = model(x).numpy()
    logits = class_logits(model)(x).numpy()
    np.testing.assert_allclose(keras.ops.softmax(logits).numpy(), probabilities, rtol=1e-4, atol=1e-6)


def test_saliency_is_zero_where_the_model_does_not_look_and_scaled_to_one():
    keras.utils.set_random_seed(0)
    maps = gradient_saliency(left_half_model(), images(2, 16), np.array([0, 3]))
    assert maps.shape == (2, 16, 16)
    assert np.all(maps[:, :, 8:] == 0) and np.all(maps[:, :, :8].max(axis=(1, 2)) == 1.0)
    assert maps.min() >= 0
