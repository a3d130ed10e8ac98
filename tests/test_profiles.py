"""The thesis-scale command's overrides name real keys with valid values."""

import re

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
        section, name = key.split(".")
        assert name in config[section], f"{key} is not in params.yaml"
        config[section][name] = yaml.safe_load(value)
    (tmp_path / "thesis.yaml").write_text(yaml.safe_dump(config))
    loaded = params.load(tmp_path / "thesis.yaml", *config)
    assert loaded["base"].image_size == 174 and loaded["train_vgg16"].epochs == 100
    assert loaded["train_xception"].weights == "imagenet" and loaded["threshold_sweep"].levels == 50
    assert loaded["ssim_eval"].levels_below == 6 and loaded["ssim_eval"].levels_above == 7
