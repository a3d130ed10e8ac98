"""The corrupt stage on a tiny phantom set: balance, splits, determinism, clean failures."""

import json

import numpy as np
import pandas as pd
import pytest

from tests.conftest import run_stage, write_params
from usqc import dataset

OUTPUTS = ("data/corrupted", "metrics/corrupt.json", "plots/corrupt/examples.png", "plots/corrupt/ssim.csv")
ARGS = ("--out", OUTPUTS[0], "--metrics", OUTPUTS[1], "--examples", OUTPUTS[2], "--ssim-table", OUTPUTS[3])


@pytest.fixture(scope="module")
def clean_dir(tmp_path_factory):
    root = tmp_path_factory.mktemp("clean")
    write_params(root / "params.yaml")
    result = run_stage("ingest", "--out", "data/clean", "--metrics", "m.json", "--samples", "s.png", cwd=root)
    assert result.returncode == 0, result.stderr
    result = run_stage("ingest_unlabelled", "--out", "data/unlabelled", "--metrics", "u.json", cwd=root)
    assert result.returncode == 0, result.stderr
    return root


def _run(root, workers=2):
    result = run_stage("corrupt", *ARGS, cwd=root, workers=workers)
    assert result.returncode == 0, result.stderr
    return dataset.read_manifest(root / OUTPUTS[0]), np.load(root / OUTPUTS[0] / "images.npy")


def test_four_balanced_copies_with_inherited_split(clean_dir):
    manifest, images = _run(clean_dir)
    clean = dataset.read_manifest(clean_dir / "data/clean")
    assert images.shape == (4 * len(clean), 72, 72) and images.dtype == np.uint8
    assert manifest["label"].value_counts().to_dict() == {
        k: len(clean) for k in ("original", "scale_up", "blur", "noise")
    }
    assert manifest.groupby("group_id")["split"].nunique().max() == 1
    merged = manifest.merge(clean, left_on="source_id", right_on="image_id", suffixes=("", "_clean"))
    assert (merged["split"] == merged["split_clean"]).all() and (merged["plane"] == merged["plane_clean"]).all()
    originals = manifest[manifest["label"] == "original"]
    assert (originals["ssim"] == 1).all() and (originals["intensity"] == 0).all()
    corrupted = manifest[manifest["label"] != "original"]
    assert (corrupted["ssim"] < 1).all()
    assert set(manifest.loc[manifest["label"] == "blur", "intensity"]) <= {1, 2, 3}
    assert set(manifest.loc[manifest["label"] == "noise", "intensity"]) <= {0.1, 0.3}
    metrics = json.loads((clean_dir / OUTPUTS[1]).read_text())
    assert metrics["counts"]["noise"]["test"] + metrics["counts"]["noise"]["train"] == len(clean)
    table = pd.read_csv(clean_dir / OUTPUTS[3])
    assert list(table.columns) == ["label", "intensity", "ssim"] and len(table) == 3 * len(clean)


def test_identical_bytes_with_one_or_two_workers(clean_dir):
    manifest_a, images_a = _run(clean_dir, workers=1)
    manifest_b, images_b = _run(clean_dir, workers=2)
    assert np.array_equal(images_a, images_b)
    pd.testing.assert_frame_equal(manifest_a, manifest_b)


@pytest.mark.parametrize(
    ("change", "needle"),
    [
        (
            {"corrupt": {"thesis": {"blur_radius_px": [-1, 3]}}},
            "corrupt.thesis.blur_radius_px[0] must be >= 1 (got -1)",
        ),
        (
            {"corrupt": {"thesis": {"blur_radius_px": [5, 3]}}},
            "corrupt.thesis.blur_radius_px must be [low, high] with low <= high",
        ),
        (
            {"corrupt": {"thesis": {"noise_sigmas": [0.1, 1.5]}}},
            "corrupt.thesis.noise_sigmas[1] must be <= 1.0 (got 1.5)",
        ),
        ({"corrupt": {"label_rule": "strict"}}, "corrupt.label_rule must be one of threshold, thesis"),
        ({"corrupt": {"label_rule": "threshold"}}, "threshold_sweep results unreadable"),
        ({"base": {"image_size": 48}}, "base.image_size must be >= 71 (got 48)"),
        ({"base": {"image_size": 128}}, "base.image_size (128) must not exceed base.clean_size (96)"),
        (
            {"corrupt": {"thesis": {"crop_total_px": [75, 100]}}},
            "corrupt.thesis.crop_total_px (100 px) must be <= half of base.clean_size",
        ),
    ],
)
def test_bad_params_fail_with_one_line_and_write_nothing(tmp_path, clean_dir, change, needle):
    (tmp_path / "data").symlink_to(clean_dir / "data")
    write_params(tmp_path / "params.yaml", **change)
    result = run_stage(
        "corrupt", "--out", "out", "--metrics", "m/c.json", "--examples", "e.png", "--ssim-table", "t.csv", cwd=tmp_path
    )
    errors = [line for line in result.stderr.splitlines() if not line.startswith("INFO")]
    assert result.returncode == 2 and len(errors) == 1 and needle in errors[0], result.stderr
    assert not any((tmp_path / p).exists() for p in ("out", "m", "e.png", "t.csv"))


def test_missing_clean_data_says_run_ingest(tmp_path):
    write_params(tmp_path / "params.yaml")
    result = run_stage("corrupt", *ARGS, cwd=tmp_path)
    assert result.returncode == 2 and "run the ingest stage first" in result.stderr
