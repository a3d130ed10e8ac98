import os

import pytest
import yaml

from tests.conftest import REPO, TINY_PARAMS, run_stage, write_params
from usqc import params
from usqc.errors import UsqcError


def test_repository_params_are_valid():
    loaded = params.load(params.Path(__file__).parents[1] / "params.yaml", "base", "ingest")
    assert loaded["base"].clean_size == 224 and loaded["ingest"].planes == ("BPD", "CRL", "NT")


def test_tiny_params_load_with_types(tmp_path):
    path = write_params(tmp_path / "p.yaml", ingest={"test_fraction": 1})
    with pytest.raises(UsqcError, match="must be < 1.0"):
        params.load(path, "ingest")
    loaded = params.load(write_params(tmp_path / "q.yaml", ingest={"test_fraction": 0}), "base")["base"]
    assert loaded.seed == 7
    loaded = params.parse_section({**TINY_PARAMS["ingest"], "test_fraction": 1 // 2 + 0.5}, "ingest")
    assert isinstance(loaded.test_fraction, float) and loaded.test_fraction == 0.5


@pytest.mark.parametrize(
    ("section", "change", "message"),
    [
        ("ingest", {"image_per_plane": 5}, "unknown key ingest.image_per_plane; known: source,"),
        (
            "ingest",
            {"phantom": {"image_per_plane": 5}},
            "unknown key ingest.phantom.image_per_plane (did you mean 'images_per_plane'?)",
        ),
        ("ingest", {"phantom": {"images_per_plane": "ten"}}, "ingest.phantom.images_per_plane must be an integer"),
        ("ingest", {"phantom": {"images_per_plane": True}}, "ingest.phantom.images_per_plane must be an integer"),
        ("ingest", {"phantom": {"images_per_plane": 0}}, "ingest.phantom.images_per_plane must be >= 1 (got 0)"),
        ("ingest", {"phantom": 300}, "section 'ingest.phantom' is missing or not a mapping"),
        (
            "ingest",
            {"phantom": {"scanner": {"fill": [0.7, 0.3]}}},
            "ingest.phantom.scanner.fill must be [low, high] with low <= high (got [0.7, 0.3])",
        ),
        ("ingest", {"phantom": {"scanner": {"fill": [0.0, 0.5]}}}, "ingest.phantom.scanner.fill[0] must be > 0.0"),
        ("ingest", {"dicom": {"frames": "some"}}, "ingest.dicom.frames must be one of first, all"),
        ("ingest", {"test_fraction": 1.5}, "ingest.test_fraction must be < 1.0 (got 1.5)"),
        ("ingest", {"source": "web"}, "ingest.source must be one of phantom, folder, fetal_planes_db, dicom (got"),
        ("ingest", {"planes": []}, "ingest.planes must be a non-empty list"),
        ("ingest", {"planes": ["BPD", 3]}, "ingest.planes[1] must be a string (got 3)"),
        ("base", {"seed": -1}, "base.seed must be >= 0"),
        ("base", {"clean_size": None}, "base.clean_size must not be empty"),
    ],
)
def test_bad_values_name_the_key(tmp_path, section, change, message):
    path = write_params(tmp_path / "p.yaml", **{section: change})
    with pytest.raises(UsqcError) as err:
        params.load(path, "base", "ingest")
    assert message in str(err.value)
    assert "\n" not in str(err.value)


def test_a_figure_dvc_yaml_declares_cannot_be_switched_off(tmp_path):
    path = write_params(tmp_path / "p.yaml", ssim_eval={"saliency_images": 0})
    with pytest.raises(UsqcError, match=r"ssim_eval\.saliency_images must be >= 1 \(got 0\)"):
        params.load(path, "ssim_eval")


def test_missing_key_and_unknown_section(tmp_path):
    raw = {s: dict(v) for s, v in TINY_PARAMS.items()}
    raw["ingest"] = {**raw["ingest"], "dicom": {"path": None}}
    (tmp_path / "p.yaml").write_text(yaml.safe_dump(raw))
    with pytest.raises(UsqcError, match=r"missing key ingest\.dicom\.frames"):
        params.load(tmp_path / "p.yaml", "ingest")
    raw = {**TINY_PARAMS, "ingset": {}}
    (tmp_path / "q.yaml").write_text(yaml.safe_dump(raw))
    with pytest.raises(UsqcError, match=r"unknown section 'ingset' \(did you mean 'ingest'\?\)"):
        params.load(tmp_path / "q.yaml", "ingest")


def test_unreadable_params_file(tmp_path):
    with pytest.raises(UsqcError, match="params file not found"):
        params.load(tmp_path / "absent.yaml", "base")
    (tmp_path / "bad.yaml").write_text("base: [unclosed\n")
    with pytest.raises(UsqcError, match="not valid YAML"):
        params.load(tmp_path / "bad.yaml", "base")


@pytest.mark.parametrize(
    ("script", "section"),
    [
        ("threshold_sweep", "threshold_sweep"),
        ("train", "train_vgg16"),
        ("ssim_eval", "ssim_eval"),
        ("real_eval", "real_eval"),
    ],
)
def test_a_mistyped_param_fails_before_tensorflow_loads(tmp_path, script, section):
    fake = tmp_path / "site" / "tensorflow"  # shadows the real one: importing it fails loudly
    fake.mkdir(parents=True)
    (fake / "__init__.py").write_text("raise ImportError('TensorFlow was imported')\n")
    write_params(tmp_path / "params.yaml", **{section: {"batch_size": "big"}})
    result = run_stage(script, cwd=tmp_path, env={"PYTHONPATH": f"{fake.parent}{os.pathsep}{REPO}"})
    assert result.returncode == 2, result.stderr[-1000:]
    assert (
        f"{section}.batch_size must be an integer" in result.stderr and "TensorFlow was imported" not in result.stderr
    )
