"""Shared fixtures: tiny params files, tiny image folders, and a runner for stage scripts."""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import yaml
from PIL import Image

REPO = Path(__file__).resolve().parents[1]
SCANNER = yaml.safe_load((REPO / "params.yaml").read_text())["ingest"]["phantom"]["scanner"]


def whole_sector_scanner():
    """Phantom settings that show the whole sector (no zoom: the anatomy fills a twentieth of the
    width, so the window is never narrower than the sector), with no on-screen text or results box,
    stored losslessly: for tests of what lies outside the sector."""
    from usqc.phantom import DEFAULT_SCANNER

    return dataclasses.replace(
        DEFAULT_SCANNER, fill=(0.05, 0.05), annotation_share=0.0, result_box_share=0.0, jpeg_quality=(100.0, 100.0)
    )


TINY_PARAMS = {
    "base": {"seed": 7, "clean_size": 96, "image_size": 72},
    "ingest": {
        "source": "phantom",
        "planes": ["BPD", "CRL", "NT"],
        "test_fraction": 0.34,
        "split": "grouped",
        "mask_outside_fov": False,
        "duplicates": "group",
        "on_error": "fail",
        "phantom": {"images_per_plane": 3, "scanner": SCANNER},
        "folder": {"path": None},
        "fetal_planes_db": {"path": None, "label_column": "Plane", "class_map": {}},
        "dicom": {"path": None, "frames": "first"},
    },
    "unlabelled": {
        "source": "none",
        "test_fraction": 0.0,
        "mask_outside_fov": False,
        "hc18": {"path": "data/hc18"},
        "folder": {"path": None, "group_by": "subfolder", "group_pattern": r"^(\d+)_"},
        "dicom": {"path": None, "group_by": "subfolder", "group_pattern": r"^(\d+)_"},
    },
    "corrupt": {
        "labelled_copies": 1,
        "unlabelled_copies": 1,
        "label_rule": "thesis",  # standalone stage tests have no threshold_sweep; the pipeline test uses threshold
        "below_threshold_share": 0.5,
        "threshold_concentration": 2.0,
        "split": "grouped",
        "examples": 2,
        "thesis": {"crop_total_px": [20, 40], "crop_bug": False, "blur_radius_px": [1, 3], "noise_sigmas": [0.1, 0.3]},
    },
    "threshold_sweep": {
        "arch": "xception",
        "weights": "none",
        "epochs": 1,
        "batch_size": 8,
        "learning_rate": 0.0001,
        "learning_rate_schedule": "constant",
        "validation_fraction": 0.34,
        "augment": True,
        "levels": 3,
        "scale_up_range": [0.0, 0.5],
        "blur_range": [0, 4],
        "noise_range": [0.0, 0.6],
        "accuracy_floor": 0.9,
        "max_drop": 0.05,
        "bootstrap": 50,
    },
    **{
        f"train_{arch}": {
            "arch": arch,
            "weights": "none",
            "epochs": 1,
            "batch_size": 8,
            "learning_rate": 0.0001,
            "learning_rate_schedule": "cosine",
            "validation_fraction": 0.34,
            "early_stopping_patience": 0,
            "distribute": "auto",
            "precision": "auto",
            "guard_quantile": 0.95,
            "mirror_average": arch == "vgg16",
        }
        for arch in ("vgg16", "xception")
    },
    "train_baseline": {"max_iter": 20, "learning_rate": 0.1, "guard_quantile": 0.99},
    "ssim_eval": {
        "levels_below": 1,
        "levels_above": 2,
        "start": 0.5,
        "flat_tolerance": 0.05,
        "batch_size": 8,
        "saliency_images": 1,
    },
    "real_eval": {
        "copies": 1,
        "dicom_frames": ["US1_UNCR.dcm", "color3d_jpeg_baseline.dcm#5"],
        "mask_outside_fov": False,
        "bootstrap": 50,
        "batch_size": 8,
    },
}
HC18 = REPO / "data" / "hc18"


def write_params(path: Path, **overrides: dict) -> Path:
    """TINY_PARAMS with `overrides` merged in, nested blocks key by key (ingest={"phantom": {...}})."""
    path.write_text(yaml.safe_dump(merged(TINY_PARAMS, overrides), sort_keys=False))
    return path


def merged(base: dict, overrides: dict) -> dict:
    out = dict(base)
    for key, value in overrides.items():
        both_blocks = isinstance(value, dict) and isinstance(out.get(key), dict) and out[key]
        out[key] = merged(out[key], value) if both_blocks else value
    return out


def run_stage(
    name: str, *args: str, cwd: Path, workers: int = 2, env: dict | None = None
) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(REPO), "USQC_WORKERS": str(workers), **(env or {})}
    return subprocess.run(
        [sys.executable, str(REPO / "stages" / f"{name}.py"), *args], cwd=cwd, env=env, capture_output=True, text=True
    )


def run_stages(cwd: Path, stages: dict[str, tuple[str, ...]]) -> None:
    """Run stage scripts in order (name -> extra arguments), each required to succeed."""
    for name, args in stages.items():
        result = run_stage(name, *args, cwd=cwd)
        assert result.returncode == 0, f"{name}: {result.stderr[-2000:]}"


def errors_of(result: subprocess.CompletedProcess) -> list[str]:
    """The `error:` lines a stage printed."""
    return [line for line in result.stderr.splitlines() if line.startswith("error:")]


def save_png(path: Path, pixels: np.ndarray, mode: str | None = None) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(pixels, mode=mode).save(path) if mode else Image.fromarray(pixels).save(path)
    return path


@pytest.fixture
def gradient() -> np.ndarray:
    y, x = np.mgrid[0:90, 0:120]
    return ((x + y) * 255 // (90 + 120)).astype(np.uint8)
