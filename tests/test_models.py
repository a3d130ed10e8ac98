import keras
import numpy as np
import pytest

from usqc import models
from usqc.errors import UsqcError


@pytest.mark.parametrize("arch", ["vgg16", "xception"])
def test_builds_at_minimal_size_with_its_own_preprocessing(arch):
    size = models.ARCHS[arch].min_size
    model = models.build(arch, size, 4, "none")
    assert model.input_shape == (None, size, size, 3) and model.output_shape == (None, 4)
    gray = np.random.default_rng(0).integers(0, 256, (2, size, size)).astype("float32")
    rgb = np.repeat(gray[..., None], 3, axis=-1)
    reference = getattr(keras.applications, arch).preprocess_input(rgb.copy())
    ours = models.preprocessing(arch)(rgb)
    np.testing.assert_allclose(np.asarray(ours), reference, atol=1e-3)
    probabilities = np.asarray(model(rgb))
    np.testing.assert_allclose(probabilities.sum(axis=1), 1, atol=1e-5)


def test_too_small_or_unknown_arch_is_a_clear_error():
    with pytest.raises(UsqcError, match="xception needs inputs of at least 71 px"):
        models.build("xception", 64, 3, "none")
    with pytest.raises(UsqcError, match="unknown architecture 'resnet'"):
        models.build("resnet", 64, 3, "none", param_key="train_vgg16.weights")


def test_local_weights_file_is_loaded_into_the_base(tmp_path):
    base = keras.applications.VGG16(include_top=False, weights=None, input_shape=(32, 32, 3))
    path = tmp_path / "vgg16_notop.weights.h5"
    base.save_weights(path)
    model = models.build("vgg16", 32, 2, str(path))
    loaded = next(layer for layer in model.layers if layer.name == base.name)
    for saved, got in zip(base.get_weights(), loaded.get_weights(), strict=True):
        np.testing.assert_array_equal(saved, got)
    with pytest.raises(UsqcError, match="weights file .*missing.h5 not found"):
        models.build("vgg16", 32, 2, str(tmp_path / "missing.h5"))


def test_imagenet_download_failure_is_one_line_with_the_remedy(tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))  # an empty cache

    def unreachable(*args, **kwargs):
        raise Exception("URL fetch failure on https://storage.example/x.h5: None -- name resolution failed")

    monkeypatch.setattr(keras.utils, "get_file", unreachable)
    with pytest.raises(UsqcError) as err:
        models.build("xception", 71, 3, "imagenet", param_key="threshold_sweep.weights")
    message = str(err.value)
    assert "\n" not in message and "could not download ImageNet weights for xception" in message
    assert "-S threshold_sweep.weights=none" in message
    assert str(tmp_path / "models" / "xception_weights_tf_dim_ordering_tf_kernels_notop.h5") in message


def test_batchnorm_recalibration_makes_inference_match_training_mode():
    keras.utils.set_random_seed(0)
    inputs = keras.Input((8, 8, 1))
    x = keras.layers.Conv2D(4, 3)(inputs)
    x = keras.layers.BatchNormalization()(x)
    outputs = keras.layers.GlobalAveragePooling2D()(x)
    model = keras.Model(inputs, outputs)
    data = np.random.default_rng(0).normal(50, 10, (64, 8, 8, 1)).astype("float32")  # far from init stats
    batches = [data[i : i + 16] for i in range(0, 64, 16)]
    train_mode = np.mean([np.asarray(model(b, training=True)) for b in batches], axis=0)
    before = np.abs(np.asarray(model(data[:16])) - train_mode).max()
    assert models.recalibrate_batchnorm(model, batches) == 1
    after = np.abs(np.asarray(model(data[:16])) - train_mode).max()
    assert after < 0.1 * before and after < 0.5


def test_a_mixed_precision_model_is_evaluated_and_saved_as_its_float32_twin():
    images = np.random.default_rng(0).integers(0, 256, (8, 32, 32, 3)).astype("float32")
    keras.mixed_precision.set_global_policy("mixed_bfloat16")
    try:
        keras.utils.set_random_seed(0)
        trained = models.build("vgg16", 32, 4, "none")
        twin = models.float32_twin(trained, "vgg16")
        assert keras.mixed_precision.global_policy().name == "mixed_bfloat16"  # the caller's policy stays
    finally:
        keras.mixed_precision.set_global_policy("float32")
    assert trained.get_layer("vgg16").layers[1].compute_dtype == "bfloat16"
    assert {layer.compute_dtype for layer in models.all_layers(twin)} == {"float32"}
    for ours, theirs in zip(twin.weights, trained.weights, strict=True):
        np.testing.assert_array_equal(np.asarray(ours), np.asarray(theirs))
    # Same weights: the answers differ by bfloat16's rounding (8 significant bits), not more.
    np.testing.assert_allclose(np.asarray(twin(images)), np.asarray(trained(images)), atol=5e-3)
    assert models.float32_twin(twin, "vgg16") is twin


def test_a_mirror_averaged_model_shares_the_weights_and_averages_the_features_of_both_views():
    keras.utils.set_random_seed(0)
    plain = models.build("vgg16", 32, 4, "none")
    averaged = models.mirror_averaged(plain)
    shared = {id(w) for w in averaged.get_layer("encoder").weights}
    assert shared == {id(w) for w in plain.weights[: len(shared)]}  # the trained layers themselves
    for ours, theirs in zip(averaged.weights, plain.weights, strict=True):
        np.testing.assert_array_equal(np.asarray(ours), np.asarray(theirs))
    x = np.random.default_rng(0).integers(0, 256, (3, 32, 32, 3)).astype("float32")
    mirror = x[:, :, ::-1]
    assert not np.allclose(np.asarray(plain(x)), np.asarray(plain(mirror)), atol=1e-4)  # plain: not symmetric

    def features(model, images):
        return np.asarray(keras.Model(model.inputs, model.get_layer("features").output)(images))

    np.testing.assert_allclose(features(averaged, x), (features(plain, x) + features(plain, mirror)) / 2, atol=1e-5)
    np.testing.assert_allclose(np.asarray(averaged(x)), np.asarray(averaged(mirror)), atol=1e-6)
