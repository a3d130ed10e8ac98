"""Saved models are byte-reproducible and load back unchanged; a wrong file is one clear line."""

import io
import json
import zipfile

import h5py
import keras
import numpy as np
import pytest

from usqc.errors import UsqcError
from usqc.model_input import as_model_input
from usqc.models import build, mirror_averaged
from usqc.saved_models import load_classifier, save_model
from usqc.training import fit


@pytest.mark.parametrize("mirrored", [False, True])
def test_same_weights_give_the_same_bytes_and_the_same_predictions(tmp_path, mirrored):
    keras.utils.set_random_seed(0)
    model = build("vgg16", 32, 4, "none")
    model = mirror_averaged(model) if mirrored else model
    save_model(model, tmp_path / "a.keras")
    save_model(model, tmp_path / "b.keras")
    assert (tmp_path / "a.keras").read_bytes() == (tmp_path / "b.keras").read_bytes()
    x = as_model_input(np.random.default_rng(0).integers(0, 256, (2, 32, 32), dtype=np.uint8))
    loaded = load_classifier(tmp_path / "a.keras", 32)
    np.testing.assert_allclose(loaded(x).numpy(), model(x).numpy(), rtol=1e-6)


def test_wrong_size_or_class_count_is_refused(tmp_path):
    save_model(build("vgg16", 32, 3, "none"), tmp_path / "planes.keras")
    with pytest.raises(UsqcError, match="has 3 outputs"):
        load_classifier(tmp_path / "planes.keras")
    save_model(build("vgg16", 32, 4, "none"), tmp_path / "m.keras")
    with pytest.raises(UsqcError, match="takes 32 px images but base.image_size is 72"):
        load_classifier(tmp_path / "m.keras", 72)


def test_a_trained_model_is_saved_without_its_optimizer_state(tmp_path):
    keras.utils.set_random_seed(0)
    images = np.random.default_rng(0).integers(0, 256, (8, 32, 32), dtype=np.uint8)
    model = build("vgg16", 32, 4, "none")
    fit(model, images, np.arange(8) % 4, np.arange(8), np.array([], int),
        epochs=1, batch_size=8, learning_rate=1e-4, seed=0)  # fmt: skip
    assert model.optimizer.variables, "the fit left Adam's moments in the compiled model"
    save_model(model, tmp_path / "trained.keras")
    with zipfile.ZipFile(tmp_path / "trained.keras") as archive:
        config = json.loads(archive.read("config.json"))
        with h5py.File(io.BytesIO(archive.read("model.weights.h5"))) as weights:
            stored = list(weights)
    assert not config.get("compile_config") and "optimizer" not in stored
    loaded = load_classifier(tmp_path / "trained.keras", 32)
    x = as_model_input(images[:2])
    np.testing.assert_array_equal(loaded(x).numpy(), model(x).numpy())
