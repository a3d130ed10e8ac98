"""A tiny `dvc repro` in a temporary git repository: the pipeline as users run it."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml

from tests.conftest import REPO, TINY_PARAMS, write_params
from tests.test_stage_deps import import_closure

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


def sh(repo: Path, *cmd: str, with_stderr: bool = False) -> str:
    result = subprocess.run(cmd, cwd=repo, env={**ENV, "PYTHONPATH": str(repo)}, capture_output=True, text=True)
    assert result.returncode == 0, f"{' '.join(cmd)} failed:\n{result.stdout}\n{result.stderr}"
    return result.stdout + result.stderr if with_stderr else result.stdout


def dvc(repo: Path, *args: str, with_stderr: bool = False) -> str:
    return sh(repo, str(BIN / "dvc"), *args, with_stderr=with_stderr)


@pytest.fixture(scope="module")
def repo(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("pipeline")
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for name in ("stages", "usqc", "data/hc18", "scripts"):
        shutil.copytree(REPO / name, root / name, ignore=ignore)
    shutil.copy(REPO / "dvc.yaml", root / "dvc.yaml")
    write_params(root / "params.yaml", unlabelled={"source": "hc18"}, corrupt={"label_rule": "threshold"})
    sh(root, "git", "init", "-q")
    dvc(root, "init", "-q")
    sh(root, "git", "add", "-A")
    sh(root, "git", "commit", "-qm", "tiny pipeline")
    dvc(root, "repro")
    return root


def out_hashes(repo: Path) -> dict:
    """stage -> {output path: md5} from dvc.lock."""
    lock = yaml.safe_load((repo / "dvc.lock").read_text())
    return {name: {o["path"]: o["md5"] for o in stage["outs"]} for name, stage in lock["stages"].items()}


STAGES = {
    "ingest", "ingest_unlabelled", "corrupt", "threshold_sweep", "train_vgg16", "train_xception", "train_baseline",
    "ssim_eval", "real_eval",
}  # fmt: skip
CURVE_COLUMNS = ["intensity", "mean_ssim", "label", "accuracy", "accuracy_all_corrupted", "images"]


def test_repro_runs_every_stage_and_leaves_the_pipeline_up_to_date(repo):
    assert set(out_hashes(repo)) == STAGES
    assert (repo / "models/vgg16.keras").exists() and (repo / "models/plane_classifier.keras").exists()
    assert "up to date" in dvc(repo, "status")
    assert "didn't change" in dvc(repo, "repro")


def test_forced_rerun_of_data_and_training_is_byte_identical(repo):
    before = out_hashes(repo)
    dvc(repo, "repro", "--force", "--single-item", "ingest", "corrupt", "train_vgg16", "train_baseline")
    after = out_hashes(repo)
    assert after["ingest"] == before["ingest"] and after["corrupt"] == before["corrupt"]
    assert after["train_vgg16"] == before["train_vgg16"]  # model, metrics (no machine speed in them), plots
    assert after["train_baseline"] == before["train_baseline"]


def test_metrics_and_plots_show_after_repro(repo):
    shown = json.loads(dvc(repo, "metrics", "show", "--json"))[""]["data"]
    assert shown["metrics/ingest.json"]["data"]["images"] == 9
    assert set(shown["metrics/threshold_sweep.json"]["data"]["thresholds"]) == {"scale_up", "blur", "noise"}
    assert 0 <= shown["metrics/train_xception.json"]["data"]["test"]["accuracy"] <= 1
    full_range = shown["metrics/ssim_eval.json"]["data"]
    assert {"vgg16", "xception", "baseline", "levels", "images"} <= set(full_range)
    assert set(full_range["xception"]["by_corruption"]) == {"scale_up", "blur", "noise"}
    real = shown["metrics/real_eval.json"]["data"]
    assert real["hc18"]["scans"] == 20 and real["dicom"]["scans"] == 2
    for metric in ("false_alarms", "detection", "accuracy"):
        share = real["hc18"]["vgg16"][metric]
        assert 0 <= share["ci_low"] <= share["value"] <= share["ci_high"] <= 1
    assert set(real["guard"]["xception"]) == {"phantom_test", "non_ultrasound"}
    assert 0 <= real["hc18"]["baseline"]["false_alarms"]["value"] <= 1 and "baseline" in real["guard"]
    corrupt = shown["metrics/corrupt.json"]["data"]  # the threshold rule: one image per class per set
    assert len({sum(counts.values()) for counts in corrupt["counts"].values()}) == 1
    assert sum(corrupt["original_class"].values()) == sum(corrupt["counts"]["original"].values())
    assert shown["metrics/corrupt.json"]["data"]["sources"] == {"labelled": 36, "unlabelled": 152}
    dvc(repo, "plots", "show", "-o", str(repo / "plots_html"))
    page = (repo / "plots_html/index.html").read_text()
    assert "Figure 34 - noise" in page and "Figure 33" in page and "Real scans - blur" in page


def test_accuracy_against_ssim_curves_have_the_declared_columns(repo):
    plots = yaml.safe_load((repo / "dvc.yaml").read_text())["plots"]
    declared = [p for p in plots if any(name.startswith(("Figure 33", "Figure 34")) for name in p)]
    assert len(declared) == 4
    for plot in declared:
        (spec,) = plot.values()
        for path, y in spec["y"].items():
            curve = pd.read_csv(repo / path)
            assert list(curve.columns) == CURVE_COLUMNS and {spec["x"], y} <= set(curve.columns)
            assert curve["intensity"].iloc[0] == 0 and curve["mean_ssim"].iloc[0] == 1
            assert curve["mean_ssim"].iloc[-1] < 1
    for name in ("accuracy_vs_ssim", "all_corrupted_vs_ssim", "saliency_vgg16", "saliency_xception"):
        assert (repo / f"plots/ssim_eval/{name}.png").read_bytes()[:4] == b"\x89PNG"


def test_ensemble_probe_scores_each_single_model_as_ssim_eval_did(repo):
    """Its one-model combinations must reproduce the stage's full-range metrics, or its averages mean nothing."""
    out = sh(repo, sys.executable, "scripts/ensemble_probe.py", "--json", "ensemble.json")
    probe = json.loads((repo / "ensemble.json").read_text())
    (repo / "ensemble.json").unlink()
    stage = json.loads((repo / "metrics/ssim_eval.json").read_text())
    assert len(probe) == 7 and "vgg16+xception+baseline" in out
    for model in ("vgg16", "xception", "baseline"):
        assert probe[model]["full_range"] == stage[model]["accuracy"]
        assert probe[model]["off_threshold"] == stage[model]["accuracy_off_threshold"]


def test_a_training_param_reruns_only_its_stage_and_the_evaluations(repo):
    out = dvc(repo, "exp", "run", "-S", "train_vgg16.learning_rate=0.0002", with_stderr=True)
    ran = set(re.findall(r"Running stage '(\w+)'", out))
    assert ran == {"train_vgg16", "ssim_eval", "real_eval"}, out


def test_a_threshold_change_retrains_every_corruption_classifier(repo, tmp_path):
    """The threshold rule labels corrupt's copies by threshold_sweep's thresholds: a threshold change
    reaches corrupt's outputs, and so every corruption classifier. Run up to corrupt, ask dvc which
    stages that left stale (training them would show nothing more), then restore the state before."""
    kept = tmp_path / "kept"  # what dvc checkout cannot restore: params, lock, uncached metrics and plots
    kept.mkdir()
    for name in ("params.yaml", "dvc.lock", "metrics", "plots"):
        (shutil.copytree if (repo / name).is_dir() else shutil.copy)(repo / name, kept / name)
    try:
        out = dvc(repo, "exp", "run", "-S", "threshold_sweep.scale_up_range=[0.1,0.5]", "corrupt", with_stderr=True)
        stale = set(json.loads(dvc(repo, "status", "--json")))
    finally:
        for name in ("metrics", "plots"):
            shutil.rmtree(repo / name)
        shutil.copytree(kept, repo, dirs_exist_ok=True)
        dvc(repo, "checkout", "-q")
    assert set(re.findall(r"Running stage '(\w+)'", out)) == {"threshold_sweep", "corrupt"}, out
    assert {"train_vgg16", "train_xception", "train_baseline", "ssim_eval", "real_eval"} <= stale, stale
    assert "up to date" in dvc(repo, "status")


def test_offline_plots_page_loads_nothing_from_the_network(repo):
    sh(repo, sys.executable, "-m", "usqc.cli", "plots", "-o", "offline")
    page = (repo / "offline/index.html").read_text()
    assert "vegaEmbed" in page and "Figure 34 - blur" in page
    assert not re.search(r"<script[^>]+src=", page) and "cdn.jsdelivr" not in page
    png = repo / "offline/png/figure_34_blur_accuracy_against_ssim_threshold_labels.png"
    assert png.read_bytes()[:4] == b"\x89PNG"


@pytest.mark.parametrize("module", ["usqc/real_sample.py", "usqc/saliency.py", "usqc/corruptions.py"])
def test_editing_one_module_makes_exactly_its_importers_stale(repo, module):
    stages = yaml.safe_load((repo / "dvc.yaml").read_text())["stages"]
    importers = {
        name for name, stage in stages.items()
        if any(module in import_closure(d, repo) for d in stage["deps"] if d.startswith("stages/"))
    }  # fmt: skip
    assert importers and importers != set(stages)
    path = repo / module
    original = path.read_text()
    try:
        path.write_text(original + "\n# an edit\n")
        stale = set(json.loads(dvc(repo, "status", "--json")))
    finally:
        path.write_text(original)
    assert stale == importers


def toy_overrides() -> list[str]:
    """-S values that shrink every costly key of the thesis protocol to the tiny pipeline's size."""
    training = ["weights", "epochs", "batch_size"]
    tiny = {"base": ["image_size"], "threshold_sweep": training, "ssim_eval": ["levels_below", "levels_above"]}
    tiny.update({section: training for section in ("train_vgg16", "train_xception")})
    phantom = f"-Singest.phantom.images_per_plane={TINY_PARAMS['ingest']['phantom']['images_per_plane']}"
    return [f"-S{s}.{k}={TINY_PARAMS[s][k]}" for s, keys in tiny.items() for k in keys] + [
        phantom,
        "-Sthreshold_sweep.levels=4",
    ]


def test_thesis_scale_script_runs_a_toy_protocol_to_completion(repo):
    sh(repo, "bash", "scripts/thesis_scale.sh", "toy-thesis", "--cpu", *toy_overrides())
    shown = dvc(repo, "exp", "show", "--no-pager", "--csv")
    assert "toy-thesis" in shown
    row = next(line for line in shown.splitlines() if "toy-thesis" in line)
    assert ",174," not in row and "imagenet" not in row  # the toy values replaced the protocol's


def test_thesis_scale_script_refuses_without_a_gpu(repo, tmp_path):
    fake = tmp_path / "bin"
    fake.mkdir()
    (fake / "nvidia-smi").write_text("#!/bin/sh\nexit 9\n")
    (fake / "nvidia-smi").chmod(0o755)
    env = {**ENV, "PATH": f"{fake}{os.pathsep}{ENV['PATH']}"}
    done = subprocess.run(["bash", "scripts/thesis_scale.sh"], cwd=repo, env=env, capture_output=True, text=True)
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and "no GPU visible" in done.stderr and "--cpu" in done.stderr
