"""The thesis-scale command's overrides name real keys with valid values."""

import os
import re
import subprocess

import pytest
import yaml

from tests.conftest import REPO
from usqc import params


def test_thesis_scale_overrides_validate_against_params_yaml(tmp_path):
    script = (REPO / "scripts/thesis_scale.sh").read_text()
    block = re.search(r"overrides=\((.*?)\)", script, re.S).group(1)
    overrides = [line.strip() for line in block.splitlines() if line.strip()]
    assert len(overrides) >= 15
    config = yaml.safe_load((REPO / "params.yaml").read_text())
    for override in overrides:
        key, value = override.split("=", 1)
        *blocks, name = key.split(".")  # nested blocks too: ingest.phantom.images_per_plane
        parent = config
        for block in blocks:
            parent = parent[block]
        assert name in parent, f"{key} is not in params.yaml"
        parent[name] = yaml.safe_load(value)
    (tmp_path / "thesis.yaml").write_text(yaml.safe_dump(config))
    loaded = params.load(tmp_path / "thesis.yaml", *config)
    assert loaded["base"].image_size == 174 and loaded["train_vgg16"].epochs == 100
    assert loaded["train_xception"].weights == "imagenet" and loaded["threshold_sweep"].levels == 50
    assert loaded["ssim_eval"].levels_below == 6 and loaded["ssim_eval"].levels_above == 7
    assert loaded["ingest"].phantom.images_per_plane == 181 and loaded["corrupt"].thesis.blur_radius_px == (1, 10)


@pytest.mark.parametrize(("driver_exit", "installed"), [(0, "requirements-gpu.txt"), (9, "requirements.txt")])
def test_make_installs_the_cuda_build_only_where_an_nvidia_driver_answers(tmp_path, driver_exit, installed):
    (tmp_path / "nvidia-smi").write_text(f"#!/bin/sh\nexit {driver_exit}\n")
    (tmp_path / "nvidia-smi").chmod(0o755)
    env = {k: v for k, v in os.environ.items() if k != "REQUIREMENTS"}
    env["PATH"] = f"{tmp_path}{os.pathsep}{env['PATH']}"
    plan = subprocess.run(["make", "-n", "-W", "requirements.txt", ".venv/.installed"], cwd=REPO, env=env,
                          capture_output=True, text=True, check=True).stdout  # fmt: skip
    assert f"pip install --quiet -r {installed}" in plan


def test_the_cuda_requirements_pin_the_same_tensorflow_and_every_cuda_wheel():
    cpu = (REPO / "requirements.txt").read_text().splitlines()
    gpu = [line for line in (REPO / "requirements-gpu.txt").read_text().splitlines() if not line.startswith("#")]
    assert "-r requirements.txt" in gpu
    tensorflow = next(line for line in cpu if line.startswith("tensorflow=="))
    assert f"tensorflow[and-cuda]=={tensorflow.split('==')[1]}" in gpu
    cuda = [line for line in gpu if line.startswith("nvidia-")]
    assert len(cuda) >= 10 and all(re.fullmatch(r"nvidia-[a-z0-9-]+==[\d.]+", line) for line in cuda)
