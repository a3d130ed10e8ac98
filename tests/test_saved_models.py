"""Saved models are byte-reproducible and load back unchanged; a wrong file is one clear line."""

import keras
import numpy as np
import pytest

from usqc.errors import UsqcError
from usqc.model_input import as_model_input
from usqc.models import build, mirror_averaged
from usqc.saved_models import load_classifier, save_model


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
