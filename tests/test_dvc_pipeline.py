"""A tiny `dvc repro` in a temporary git repository: the pipeline as users run it."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.conftest import REPO, write_params

BIN = Path(sys.executable).parent
ENV = {
    **os.environ,
    "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
    "USQC_WORKERS": "2",
    "GIT_AUTHOR_NAME": "t",
    "GIT_AUTHOR_EMAIL": "t@example.org",
    "GIT_COMMITTER_NAME": "t",
    "GIT_COMMITTER_EMAIL": "t@example.org",
}


def sh(repo: Path, *cmd: str) -> str:
    result = subprocess.run(cmd, cwd=repo, env={**ENV, "PYTHONPATH": str(repo)}, capture_output=True, text=True)
    assert result.returncode == 0, f"{' '.join(cmd)} failed:\n{result.stdout}\n{result.stderr}"
    return result.stdout


def dvc(repo: Path, *args: str) -> str:
    return sh(repo, str(BIN / "dvc"), *args)


@pytest.fixture(scope="module")
def repo(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("pipeline")
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for name in ("stages", "usqc"):
        shutil.copytree(REPO / name, root / name, ignore=ignore)
    shutil.copy(REPO / "dvc.yaml", root / "dvc.yaml")
    write_params(root / "params.yaml")
    sh(root, "git", "init", "-q")
    dvc(root, "init", "-q")
    sh(root, "git", "add", "-A")
    sh(root, "git", "commit", "-qm", "tiny pipeline")
    dvc(root, "repro")
    return root


def out_hashes(repo: Path) -> dict:
    lock = yaml.safe_load((repo / "dvc.lock").read_text())
    return {name: [o["md5"] for o in stage["outs"]] for name, stage in lock["stages"].items()}


STAGES = {"ingest", "corrupt", "threshold_sweep", "train_vgg16", "train_xception"}


def test_repro_runs_every_stage_and_leaves_the_pipeline_up_to_date(repo):
    assert set(out_hashes(repo)) == STAGES
    assert (repo / "models/vgg16.keras").exists() and (repo / "models/plane_classifier.keras").exists()
    assert "up to date" in dvc(repo, "status")
    assert "didn't change" in dvc(repo, "repro")


def test_forced_rerun_of_the_data_stages_is_byte_identical(repo):
    before = out_hashes(repo)
    dvc(repo, "repro", "--force", "--single-item", "ingest", "corrupt")
    after = out_hashes(repo)
    assert after["ingest"] == before["ingest"] and after["corrupt"] == before["corrupt"]


def test_metrics_and_plots_show_after_repro(repo):
    shown = json.loads(dvc(repo, "metrics", "show", "--json"))[""]["data"]
    assert shown["metrics/ingest.json"]["data"]["images"] == 9
    assert set(shown["metrics/threshold_sweep.json"]["data"]["thresholds"]) == {"scale_up", "blur", "noise"}
    assert 0 <= shown["metrics/train_xception.json"]["data"]["test"]["accuracy"] <= 1
    dvc(repo, "plots", "show", "-o", str(repo / "plots_html"))
    assert (repo / "plots_html/index.html").stat().st_size > 1000
