"""threshold_sweep end to end on a tiny phantom set with a tiny, one-epoch model."""

import json

import keras
import pandas as pd
import pytest

from tests.conftest import run_stage, write_params

COLUMNS = ["intensity", "relative_intensity", "mean_ssim", "ssim_std", "accuracy"]


@pytest.fixture(scope="module")
def swept(tmp_path_factory):
    root = tmp_path_factory.mktemp("sweep")
    write_params(root / "params.yaml")
    assert run_stage("ingest", "--metrics", "m.json", "--samples", "s.png", cwd=root).returncode == 0
    result = run_stage("threshold_sweep", cwd=root)
    assert result.returncode == 0, result.stderr[-3000:]
    return root


def test_writes_model_metrics_curves_and_figures(swept):
    model = keras.models.load_model(swept / "models/plane_classifier.keras")
    assert model.input_shape == (None, 72, 72, 3) and model.output_shape == (None, 3)
    metrics = json.loads((swept / "metrics/threshold_sweep.json").read_text())
    assert set(metrics["thresholds"]) == {"scale_up", "blur", "noise"}
    assert 0 <= metrics["clean_accuracy"] <= 1 and metrics["planes"] == ["BPD", "CRL", "NT"]
    for name in ("scale_up", "blur", "noise"):
        curve = pd.read_csv(swept / f"plots/threshold_sweep/{name}.csv")
        assert list(curve.columns) == COLUMNS and len(curve) == 3
        assert curve["mean_ssim"].iloc[0] > curve["mean_ssim"].iloc[-1]
        assert set(metrics["thresholds"][name]) == {"floor", "floor_ci", "drop", "drop_ci"}
    for figure in ("accuracy_vs_intensity", "accuracy_vs_ssim", "ssim_vs_intensity"):
        assert (swept / f"plots/threshold_sweep/{figure}.png").read_bytes()[:4] == b"\x89PNG"


def test_offline_imagenet_fails_cleanly_and_writes_nothing(tmp_path, swept):
    (tmp_path / "data").symlink_to(swept / "data")
    write_params(tmp_path / "params.yaml", threshold_sweep={"weights": "imagenet"})
    unreachable = {
        "KERAS_HOME": str(tmp_path / "keras"),
        "https_proxy": "http://127.0.0.1:9",
        "HTTPS_PROXY": "http://127.0.0.1:9",
    }
    result = run_stage("threshold_sweep", cwd=tmp_path, env=unreachable)
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert result.returncode == 2 and len(errors) == 1
    assert "-S threshold_sweep.weights=none" in errors[0]
    assert not (tmp_path / "models").exists() and not (tmp_path / "metrics").exists()
