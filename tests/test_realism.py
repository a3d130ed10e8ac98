import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

from benchmarks.bench_realism import two_sample
from usqc.realism import PATCH, PATCH_FEATURES, grain_px, image_features, patch_features, patches_in_fov


def speckle_view(rng, sigma: float = 1.0, size: int = 224) -> np.ndarray:
    """Blurred noise inside a centred square field of view, black around it."""
    view = np.zeros((size, size), np.uint8)
    noise = cv2.GaussianBlur(rng.normal(120, 60, (size, size)).astype(np.float32), (0, 0), sigma)
    view[40:184, 40:184] = np.clip(noise[40:184, 40:184], 20, 255).astype(np.uint8)
    return view


def test_patches_come_from_inside_the_field_of_view_only():
    patches = patches_in_fov(speckle_view(np.random.default_rng(0)))
    assert patches.shape[1:] == (PATCH, PATCH)
    assert 9 <= len(patches) <= 36  # the 144-px square holds 5 x 5 or 6 x 6 whole grid patches, never the border
    assert patches.min() >= 20  # nothing from the black surround


def test_patch_features_of_known_patterns():
    stripes = np.tile(np.array([0.0, 200.0] * (PATCH // 2))[:, None], (1, PATCH))  # rows alternate 0 / 200
    flat = np.full((PATCH, PATCH), 100.0)
    f = dict(zip(PATCH_FEATURES, patch_features(np.stack([stripes, flat])).T, strict=True))
    assert f["autocorr_x1"][0] == pytest.approx(1.0) and f["autocorr_y1"][0] == pytest.approx(-1.0)
    assert f["autocorr_y2"][0] == pytest.approx(1.0)
    assert f["dark_fraction"][0] == pytest.approx(0.5) and f["mean"][0] == pytest.approx(100 / 255)
    assert f["contrast"][1] == 0 and f["autocorr_x1"][1] == 0 and f["skew"][1] == 0  # flat: no NaN


def test_coarser_speckle_has_larger_grain():
    rng = np.random.default_rng(1)
    fine, coarse = speckle_view(rng, 1.0), speckle_view(rng, 3.0)
    fov = fine > 0
    assert grain_px(coarse, fov) > grain_px(fine, fov) + 1
    assert image_features(fine).shape == (9,)


def test_two_sample_test_tells_apart_only_what_differs():
    rng = np.random.default_rng(2)

    def side(shift: float, n: int = 200):
        x = np.vstack([rng.normal(0, 1, (n, 3)), rng.normal(shift, 1, (n, 3))])
        y = np.repeat([0, 1], n)
        return x, y, np.arange(2 * n) // 4  # groups of 4 samples, like patches of one image

    same = two_sample(side(0.0), side(0.0), seed=0)
    different = two_sample(side(3.0), side(3.0), seed=0)
    for name in ("logistic", "boosted_trees"):
        assert same[name]["held_out"] < 0.62 and different[name]["held_out"] > 0.95


def test_plane_share_only_without_a_model_says_how_to_get_one_and_writes_nothing(tmp_path):
    repo = Path(__file__).resolve().parents[1]
    out = tmp_path / "shares.json"
    done = subprocess.run(
        [sys.executable, "benchmarks/bench_realism.py", "--plane-share-only", "--model", str(tmp_path / "none.keras"),
         "--json", str(out)],
        cwd=repo, capture_output=True, text=True, env={"PYTHONPATH": str(repo), "PATH": "/usr/bin:/bin"},
    )  # fmt: skip
    assert done.returncode != 0 and not out.exists()
    assert done.stderr.strip().count("\n") == 0 and "dvc repro threshold_sweep" in done.stderr
