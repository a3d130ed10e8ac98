"""train_vgg16 / train_xception on 16 tiny images: files, keys, determinism, the input pipeline."""

import json
import os

import numpy as np
import pandas as pd
import pytest

from tests.conftest import REPO, run_stage, run_stages, write_params
from usqc import backend, models
from usqc.saved_models import load_classifier

REPORT_KEYS = {"accuracy", "macro_avg", "weighted_avg", "per_class"}


@pytest.fixture(scope="module")
def corrupted(tmp_path_factory):
    """24 corrupted images: 3 patients x BPD/NT x 4 labels; 1 patient tests, 1 validates, 1 trains."""
    root = tmp_path_factory.mktemp("train")
    write_params(
        root / "params.yaml",
        ingest={"phantom": {"images_per_plane": 3}, "planes": ["BPD", "NT"], "test_fraction": 0.34},
        **{f"train_{a}": {"validation_fraction": 0.5} for a in ("vgg16", "xception")},
    )
    run_stages(
        root,
        {
            "ingest": ("--metrics", "m.json", "--samples", "s.png"),
            "ingest_unlabelled": ("--metrics", "u.json"),
            "corrupt": ("--metrics", "c.json", "--examples", "e.png", "--ssim-table", "t.csv"),
        },
    )
    return root


def _train(root, arch, out, backend="tensorflow", without_tensorflow=False):
    args = ("--section", f"train_{arch}", "--model", f"{out}/{arch}.keras", "--metrics", f"{out}/{arch}.json",
            "--plots", f"{out}/plots_{arch}")  # fmt: skip
    env = {"KERAS_BACKEND": backend}
    if without_tensorflow:  # a box with JAX only: a tensorflow package that fails to import shadows the real one
        fake = root / out / "site" / "tensorflow"
        fake.mkdir(parents=True)
        (fake / "__init__.py").write_text("raise ImportError('no TensorFlow on this box')\n")
        env["PYTHONPATH"] = f"{fake.parent}{os.pathsep}{REPO}"
    result = run_stage("train", *args, cwd=root, env=env)
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads((root / out / f"{arch}.json").read_text())


@pytest.mark.parametrize("arch", ["vgg16", "xception"])
def test_one_epoch_on_tiny_images_writes_model_metrics_curves_and_confusion(corrupted, arch):
    metrics = _train(corrupted, arch, "run1")
    assert set(metrics["test"]) >= REPORT_KEYS and set(metrics["test"]["per_class"]) == {
        "original",
        "scale_up",
        "blur",
        "noise",
    }
    assert sum(c["support"] for c in metrics["test"]["per_class"].values()) == 8
    assert {"precision", "recall", "f1"} <= set(metrics["test"]["macro_avg"]) and metrics["epochs"] == 1
    model = load_classifier(corrupted / f"run1/{arch}.keras")
    assert model.input_shape == (None, 72, 72, 3) and model.output_shape == (None, 4)
    # VGG16 trains in bfloat16 on a CPU with AMX or AVX-512 BF16; whatever the training precision, the file is float32.
    assert metrics["precision"] == backend.dtype_policy("auto", False, models.ARCHS[arch].bfloat16_on_cpu)
    assert {layer.compute_dtype for layer in models.all_layers(model)} == {"float32"}
    if arch == "vgg16":  # conftest's params average its features over the image and its mirror
        x = np.random.default_rng(0).integers(0, 256, (2, 72, 72, 3)).astype("float32")
        np.testing.assert_allclose(np.asarray(model(x)), np.asarray(model(x[:, :, ::-1])), atol=1e-6)
    plots = corrupted / f"run1/plots_{arch}"
    assert list(pd.read_csv(plots / "predictions.csv").columns) == ["actual", "predicted"]
    assert (plots / "confusion.png").exists()
    assert (plots / "live/plots/metrics/train/accuracy.tsv").exists()


@pytest.mark.parametrize("backend", ["tensorflow", "jax"])
def test_same_seed_same_metrics_on_cpu(corrupted, backend):
    first = _train(corrupted, "vgg16", f"a_{backend}", backend)
    # JAX's second run without TensorFlow installed: the JAX path never needs it, and gives the same
    second = _train(corrupted, "vgg16", f"b_{backend}", backend, without_tensorflow=backend == "jax")
    assert first["backend"] == second["backend"] == backend
    for key in ("test", "final_train_accuracy", "final_validation_accuracy", "calibration"):
        assert first[key] == second[key]
