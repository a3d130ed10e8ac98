"""The ingest stage script end to end on tiny data: outputs, and no outputs on bad input."""

import json

import numpy as np
import pandas as pd
import pytest

from tests.conftest import run_stage, save_png, write_params
from usqc import dataset

OUTPUTS = ("data/clean", "metrics/ingest.json", "plots/ingest/samples.png")
ARGS = ("--out", OUTPUTS[0], "--metrics", OUTPUTS[1], "--samples", OUTPUTS[2])


def test_phantom_ingest_writes_images_manifest_metrics_and_samples(tmp_path):
    write_params(tmp_path / "params.yaml")
    result = run_stage("ingest", *ARGS, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    images = dataset.open_images(tmp_path / "data/clean")
    manifest = dataset.read_manifest(tmp_path / "data/clean")
    assert images.shape == (9, 96, 96) and images.dtype == np.uint8
    assert list(manifest.columns) == ["image_id", "group_id", "plane", "split", "sha256"]
    assert [dataset.pixel_sha256(im) for im in images] == list(manifest["sha256"])
    assert manifest.groupby("group_id")["split"].nunique().max() == 1
    metrics = json.loads((tmp_path / "metrics/ingest.json").read_text())
    assert metrics["images"] == 9 and metrics["planes"]["NT"] == {"train": 2, "test": 1}
    assert (tmp_path / "plots/ingest/samples.png").read_bytes()[:4] == b"\x89PNG"
    assert not list(tmp_path.rglob(".*tmp*"))


def test_folder_ingest_resizes_every_image(tmp_path, gradient):
    for k, plane in enumerate(["BPD", "CRL", "NT", "NT"]):
        save_png(tmp_path / "raw" / f"{plane}_{k}.png", gradient)
    write_params(tmp_path / "params.yaml", ingest={"source": "folder", "folder": {"path": "raw"}, "test_fraction": 0.5})
    result = run_stage("ingest", *ARGS, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    manifest = pd.read_csv(tmp_path / "data/clean/manifest.csv")
    assert manifest["plane"].tolist() == ["BPD", "CRL", "NT", "NT"]
    assert dataset.open_images(tmp_path / "data/clean").shape == (4, 96, 96)


def _text_as_png(raw):
    (raw / "NT_2.png").write_text("not an image")


def _truncated(raw):
    path = raw / "CRL_9.png"
    save_png(path, np.random.default_rng(0).integers(0, 255, (300, 300), dtype=np.uint8))
    path.write_bytes(path.read_bytes()[:2000])


def _empty_file(raw):
    (raw / "BPD_0.png").write_bytes(b"")


def _unknown_class(raw):
    save_png(raw / "HC_1.png", np.zeros((20, 20), np.uint8))


def _non_image(raw):
    (raw / "BPD_list.csv").write_text("a,b\n")


@pytest.mark.parametrize(
    ("spoil", "needle"),
    [
        (_text_as_png, "NT_2.png: cannot read image"),
        (_truncated, "CRL_9.png: cannot read image"),
        (_empty_file, "BPD_0.png: cannot read image"),
        (_unknown_class, "HC_1.png: name does not start with a class"),
        (_non_image, "BPD_list.csv: not an image file"),
    ],
)
def test_bad_files_fail_with_one_line_and_write_nothing(tmp_path, gradient, spoil, needle):
    raw = tmp_path / "raw"
    for k, plane in enumerate(["BPD", "CRL", "NT"] * 3):
        save_png(raw / f"{plane}_good{k}.png", gradient)
    spoil(raw)
    write_params(tmp_path / "params.yaml", ingest={"source": "folder", "folder": {"path": "raw"}})
    result = run_stage("ingest", *ARGS, cwd=tmp_path)
    assert result.returncode == 2
    errors = [line for line in result.stderr.splitlines() if not line.startswith("INFO")]
    assert len(errors) == 1 and errors[0].startswith("error: ") and needle in errors[0]
    assert not any((tmp_path / out).exists() for out in OUTPUTS)
    assert not (tmp_path / "data").exists() and not (tmp_path / "metrics").exists()


@pytest.mark.parametrize(
    ("change", "needle"),
    [
        ({"ingest": {"test_fractoin": 0.2}}, "unknown key ingest.test_fractoin (did you mean 'test_fraction'?)"),
        ({"ingest": {"phantom": {"images_per_plane": "3"}}}, "ingest.phantom.images_per_plane must be an integer"),
        ({"ingest": {"source": "folder", "folder": {"path": "missing"}}}, "missing: folder not found"),
        ({"ingest": {"source": "folder", "folder": {"path": "raw"}}}, "raw: no images found"),
    ],
)
def test_bad_params_and_empty_folder_fail_cleanly(tmp_path, change, needle):
    (tmp_path / "raw").mkdir()
    write_params(tmp_path / "params.yaml", **change)
    result = run_stage("ingest", *ARGS, cwd=tmp_path)
    errors = [line for line in result.stderr.splitlines() if not line.startswith("INFO")]
    assert result.returncode == 2 and len(errors) == 1 and needle in errors[0]
    assert not any((tmp_path / out).exists() for out in OUTPUTS)
