"""The thesis' classifiers: a keras.applications base + Flatten + Dense(1024, relu) + softmax (§7.2.2).

Beyond the thesis, the softmax divides by a fitted temperature and the features pass through an
identity layer that holds the out-of-domain guard (usqc.calibration); both are no-ops until calibrated.

A built model takes plain 0-255 grayscale replicated to three channels and applies its own
architecture's input preprocessing inside, so a saved `.keras` file is self-contained.

After training, `mirror_averaged` can make a model average its features over the image and its
left-right mirror (test-time augmentation): every corruption is mirror-symmetric, so is the label.
"""

from __future__ import annotations

import os
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import keras
import numpy as np
from keras import layers, ops

from usqc.calibration import FEATURES, GUARD, LOGITS, PROBABILITIES, TemperatureSoftmax
from usqc.errors import UsqcError
from usqc.guard import DomainGuard

# Caffe-style means that VGG16's preprocess_input subtracts in BGR order; with identical gray
# channels the RGB->BGR flip is a no-op, so a per-channel Normalization reproduces it exactly.
_VGG_MEANS_BGR = (103.939, 116.779, 123.68)


@dataclass(frozen=True)
class Arch:
    name: str
    application: str  # keras.applications constructor
    min_size: int  # smallest input side the base accepts
    weights_file: str  # ImageNet no-top weights, as cached under ~/.keras/models
    weights_module: str  # keras module holding the download URL
    bfloat16_on_cpu: bool  # trains faster in bfloat16 on a CPU with AMX or AVX-512 BF16 (backend.dtype_policy)


ARCHS = {
    "vgg16": Arch(
        "vgg16", "VGG16", 32, "vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5", "vgg16", bfloat16_on_cpu=True
    ),
    "xception": Arch(
        "xception",
        "Xception",
        71,
        "xception_weights_tf_dim_ordering_tf_kernels_notop.h5",
        "xception",
        bfloat16_on_cpu=False,
    ),
}
RANDOM_INIT_BN_MOMENTUM = 0.9
_HASHES = {"vgg16": "6d6bbae143d832006294945121d1f1fc", "xception": "b0042744bf5b25fce3cb969f33bebb97"}


def preprocessing(arch: str) -> layers.Layer:
    if arch == "vgg16":
        return layers.Normalization(mean=list(_VGG_MEANS_BGR), variance=[1.0, 1.0, 1.0], name="vgg16_preprocess")
    return layers.Rescaling(1 / 127.5, offset=-1.0, name="xception_preprocess")  # 'tf' mode: [-1, 1]


def imagenet_weights(arch: str, param_key: str) -> str:
    """Path of the cached ImageNet weights, downloading them through Keras if needed."""
    import importlib

    spec = ARCHS[arch]
    url = importlib.import_module(f"keras.src.applications.{spec.weights_module}").WEIGHTS_PATH_NO_TOP
    try:
        return keras.utils.get_file(spec.weights_file, url, cache_subdir="models", file_hash=_HASHES[arch])
    except Exception as exc:  # Keras wraps every network failure in a bare Exception
        reason = str(exc).splitlines()[0][:120] if str(exc) else type(exc).__name__
        cache = Path(os.environ.get("KERAS_HOME", Path.home() / ".keras")) / "models" / spec.weights_file
        raise UsqcError(
            f"could not download ImageNet weights for {arch} ({reason}); "
            f"train from scratch with -S {param_key}=none, or place {spec.weights_file} at {cache}"
        ) from None


def build(
    arch: str, input_size: int, n_classes: int, weights: str = "imagenet", param_key: str = "weights"
) -> keras.Model:
    """Base + Flatten + Dense(1024, relu) + Dense(n_classes, softmax) on (size, size, 3) 0-255 input.

    weights: "imagenet" (Keras download/cache), "none" (random), or a path to a weights file of
    the base without its top. `param_key` names the params.yaml key in error messages.
    """
    if arch not in ARCHS:
        raise UsqcError(
            f"{param_key.rsplit('.', 1)[0]}.arch: unknown architecture {arch!r}; use one of {', '.join(ARCHS)}"
        )
    spec = ARCHS[arch]
    if input_size < spec.min_size:
        raise UsqcError(f"{arch} needs inputs of at least {spec.min_size} px (got {input_size}); raise base.image_size")
    if weights == "imagenet":
        base_weights = imagenet_weights(arch, param_key)
    elif weights == "none":
        base_weights = None
    else:
        if not Path(weights).is_file():
            raise UsqcError(f"{param_key}: weights file {weights} not found; give an existing file, imagenet or none")
        base_weights = weights
    inputs = keras.Input((input_size, input_size, 3), name="gray_0_255")
    base = getattr(keras.applications, spec.application)(
        include_top=False, weights=None, input_shape=(input_size, input_size, 3)
    )
    if base_weights is None:
        # From random weights the Keras default momentum (0.99) keeps the moving statistics of the
        # first steps for hundreds of steps: validation in inference mode then sits at chance.
        _set_batchnorm_momentum(base, RANDOM_INIT_BN_MOMENTUM)
    else:
        try:
            base.load_weights(base_weights)
        except (ValueError, OSError) as exc:
            raise UsqcError(f"{param_key}: cannot load {base_weights} into {arch} ({str(exc)[:120]})") from None
    x = base(preprocessing(arch)(inputs))
    x = layers.Flatten()(x)
    x = layers.Dense(1024, activation="relu", name=FEATURES)(x)
    return keras.Model(inputs, _head(x, n_classes), name=f"{arch}_classifier")


def _head(features, n_classes: int):
    """Guard, logits and calibrated softmax on the features."""
    x = DomainGuard(n_classes, name=GUARD)(features)  # identity; holds the out-of-domain statistics once calibrated
    logits = layers.Dense(n_classes, dtype="float32", name=LOGITS)(x)  # float32 under mixed precision
    return TemperatureSoftmax(name=PROBABILITIES)(logits)


@keras.saving.register_keras_serializable(package="usqc")
class Mirror(layers.Layer):
    """The input mirrored left-right (the image's width axis of (n, rows, columns, channels))."""

    def call(self, images):
        return ops.flip(images, axis=2)


def mirror_averaged(model: keras.Model) -> keras.Model:
    """A model whose guard and logits take the mean of `model`'s features of the image and of its
    mirror. It shares the layers up to the features and copies the head's weights (a head called in
    two graphs would make their outputs ambiguous). Built after training, so training costs the
    same; inference costs twice. Calibrate it afterwards: the temperature, biases and guard then
    describe the averaged features."""
    encoder = keras.Model(model.inputs, model.get_layer(FEATURES).output, name="encoder")
    with float32_layers():  # as the float32 twin a mixed-precision training leaves
        inputs = keras.Input(model.input_shape[1:], name="gray_0_255_both_views")
        features = layers.Average(name=FEATURES)([encoder(inputs), encoder(Mirror(name="mirror")(inputs))])
        head = _head(features, model.output_shape[-1])
    averaged = keras.Model(inputs, head, name=f"{model.name}_mirror_averaged")
    for name in (GUARD, LOGITS, PROBABILITIES):
        averaged.get_layer(name).set_weights(model.get_layer(name).get_weights())
    return averaged


def float32_twin(model: keras.Model, arch: str) -> keras.Model:
    """`model`'s weights in a float32 model of the same architecture, or `model` itself if it is
    float32: what a mixed-precision training calibrates, evaluates and saves, so that the saved
    file runs on any CPU (bfloat16 convolutions fail with AVX2 only and crawl without BF16 instructions)."""
    if model.get_layer(FEATURES).dtype_policy.name == "float32":
        return model
    with float32_layers():
        twin = build(arch, model.input_shape[1], model.output_shape[-1], "none")
    twin.set_weights(model.get_weights())
    return twin


@contextmanager
def float32_layers():
    """Layers built inside are float32, whatever the (training's) global policy, which stays."""
    policy = keras.mixed_precision.global_policy()
    keras.mixed_precision.set_global_policy("float32")
    try:
        yield
    finally:
        keras.mixed_precision.set_global_policy(policy)


def _set_batchnorm_momentum(model: keras.Model, momentum: float) -> None:
    for layer in all_layers(model):
        if isinstance(layer, layers.BatchNormalization):
            layer.momentum = momentum


def recalibrate_batchnorm(model: keras.Model, batches, forward=None) -> int:
    """Re-estimate every BatchNormalization layer's moving statistics as the exact average over `batches`.

    A network trained from scratch for a few hundred steps has moving averages that still remember
    its early steps, so inference mode disagrees with training mode. With momentum 0, one pass in
    training mode leaves each batch's own statistics in the moving ones; their running mean
    (weights k/(k+1) and 1/(k+1) at batch k) is the plain mean. Weights are untouched.
    forward: `model(x, training=True)`, compiled by the caller (eager, batch by batch, the pass
    costs more than a training epoch of the same images). Returns the number of layers recalibrated.
    """
    norms = [layer for layer in all_layers(model) if isinstance(layer, layers.BatchNormalization)]
    if not norms:
        return 0
    forward = forward or (lambda x: model(x, training=True))
    saved = [layer.momentum for layer in norms]
    for layer in norms:
        layer.momentum = 0.0
    means = [np.zeros(layer.moving_mean.shape, np.float32) for layer in norms]
    variances = [np.ones(layer.moving_variance.shape, np.float32) for layer in norms]
    for k, batch in enumerate(batches):
        forward(batch)
        keep, add = np.float32(k / (k + 1)), np.float32(1.0 - k / (k + 1))
        for i, layer in enumerate(norms):
            means[i] = means[i] * keep + keras.ops.convert_to_numpy(layer.moving_mean) * add
            variances[i] = variances[i] * keep + keras.ops.convert_to_numpy(layer.moving_variance) * add
    for layer, momentum, mean, variance in zip(norms, saved, means, variances, strict=True):
        layer.momentum = momentum
        layer.moving_mean.assign(mean)
        layer.moving_variance.assign(variance)
    return len(norms)


def all_layers(model: keras.Model):
    """Every layer of `model`, those of nested models (the keras.applications base) included."""
    for layer in model.layers:
        yield layer
        if isinstance(layer, keras.Model):
            yield from all_layers(layer)
