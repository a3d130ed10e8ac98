"""Fills in the classical baseline's rows of a seed-noise summary that predates them (its guard's, its
4-class accuracy on the real heads).

The five seed runs of `results/seed_noise.json` were made before the baseline had a guard; rerunning
them (`scripts/seeds.sh`) retrains both CNNs, about 30 minutes per seed on 2 cores. The baseline needs
only its own upstream: for each seed this reruns `dvc repro train_baseline` (ingest, the threshold
sweep, corrupt, the baseline: 7-9 minutes on the slow Zen 4; a second run of a seed retrains the sweep:
DVC's run cache did not restore it) in a temporary git worktree of HEAD that shares the DVC cache,
scores the baseline as real_eval does (usqc.real_eval), and adds the rows the summary lacks. It refuses
to merge unless every value the summary already has for that seed comes out the same (the thresholds,
the plane classifier's and the baseline's test accuracy, the baseline's real-scan false alarms and
detection): that is the evidence the rerun drew the seed run's data and models. The committed run's seed
(params.yaml) is read from the workspace's metrics (run `dvc repro` first).

Usage (from the repository root, nothing uncommitted):
    PYTHONPATH=. python scripts/baseline_seed_rows.py [--summary results/seed_noise.json] [--markdown ...]
"""

import usqc  # noqa: F401  (first: pins OpenBLAS's kernels before numpy loads them, usqc/__init__.py)

# isort: split
import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from usqc import dataset, params, seed_noise
from usqc.baseline import load_baseline
from usqc.label_rule import full_range
from usqc.real_eval import (
    guard_inputs,
    levels_from_threshold,
    non_ultrasound_images,
    real_scan_sets,
    score_real_sets,
)

MODEL = "baseline"
REPRODUCED = ("metrics/threshold_sweep.json", f"metrics/train_{MODEL}.json")  # what `dvc repro train_baseline` writes


def run(command: list[str], cwd: Path) -> None:
    # the worktree's stages import the worktree's usqc, not the editable install's
    subprocess.run(command, cwd=cwd, check=True, env={**os.environ, "PYTHONPATH": "."})


def reproduce(root: Path, seed: int, where: Path) -> None:
    """`dvc repro train_baseline` at `seed` in a detached worktree of HEAD at `where`, sharing the cache."""
    run(["git", "worktree", "add", "--detach", str(where), "HEAD"], root)
    run(["dvc", "cache", "dir", "--local", str(root / ".dvc" / "cache")], where)
    text = (where / "params.yaml").read_text()
    text, count = re.subn(r"(?m)^(base:\n(?:  .*\n)*?  seed: )\d+", rf"\g<1>{seed}", text)
    if count != 1:
        sys.exit("baseline_seed_rows: no base.seed line in params.yaml")
    (where / "params.yaml").write_text(text)
    run(["dvc", "repro", "train_baseline"], where)


def real_eval_metrics(where: Path, seed: int) -> dict:
    """What real_eval reports of the baseline at `where`, shaped as metrics/real_eval.json: its metrics
    on the real scans and its guard's rejections there, of the phantom test images and of the pictures."""
    p = params.load(where / "params.yaml", "base", "ssim_eval", "real_eval")
    base, cfg = p["base"], p["real_eval"]
    baseline = load_baseline(where / "models" / f"{MODEL}.pkl")
    sweep = where / "metrics" / "threshold_sweep.json", where / "plots" / "threshold_sweep"
    thresholds, full_levels = full_range(*sweep, p["ssim_eval"])
    levels = levels_from_threshold(full_levels, thresholds, cfg.copies)
    scans = real_scan_sets(where / "data" / "hc18", cfg.dicom_frames, base.clean_size, cfg.mask_outside_fov)
    manifest = dataset.require(where / "data" / "clean", "ingest")
    phantom_test = dataset.open_images(where / "data" / "clean")[np.flatnonzero(manifest["split"] == "test")]
    sets = guard_inputs(phantom_test, non_ultrasound_images(seed), base.clean_size, base.image_size)
    classifiers, guards = {MODEL: baseline.predict}, {MODEL: lambda images: baseline.predict_guarded(images)[1]}
    metrics, _ = score_real_sets(
        scans, sets, levels, thresholds, classifiers, guards, base.image_size, seed, cfg.bootstrap
    )
    return metrics


def seed_run(where: Path, seed: int) -> tuple[dict[str, float], dict]:
    """The headline values of a reproduced seed, and its real_eval metrics."""
    real = real_eval_metrics(where, seed)

    def read(path: str) -> dict:  # the CNNs' and evaluations' files there are HEAD's seed's: not read
        if path == "metrics/real_eval.json":
            return real
        return seed_noise.workspace_reader(str(where / path)) if path in REPRODUCED else {}

    return seed_noise.headline(read), real


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--summary", default="results/seed_noise.json")
    parser.add_argument("--markdown", default="results/seed_noise.md")
    args = parser.parse_args()
    root = Path.cwd()
    if subprocess.run(["git", "status", "--porcelain"], capture_output=True, text=True).stdout.strip():
        sys.exit("baseline_seed_rows: commit first: the worktrees are made from HEAD")
    summary = json.loads(Path(args.summary).read_text())
    runs = seed_noise.runs_of(summary["metrics"])
    committed_seed = params.load(root / "params.yaml", "base")["base"].seed
    # from the committed run only the baseline's rows: another model's new row would have one seed
    committed = seed_noise.headline(seed_noise.workspace_reader)
    ours = {name: value for name, value in committed.items() if name in summary["metrics"] or name.startswith(MODEL)}
    differ = seed_noise.add_values(runs, committed_seed, ours)
    if differ:
        sys.exit(f"baseline_seed_rows: the workspace's metrics are not seed {committed_seed}'s run: {differ}")
    with tempfile.TemporaryDirectory(prefix="usqc-seeds-") as scratch:
        for seed in sorted(s for s in runs if s != committed_seed):
            where = Path(scratch) / str(seed)
            start = time.monotonic()
            try:
                reproduce(root, seed, where)
                values, real = seed_run(where, seed)
            finally:
                subprocess.run(["git", "worktree", "remove", "--force", str(where)], cwd=root, check=False)
            differ = seed_noise.add_values(runs, seed, values)
            if differ:
                sys.exit(f"baseline_seed_rows: seed {seed} did not reproduce the seed run's {differ}; rerun seeds.sh")
            rejected = real["dicom"][MODEL]["out_of_domain"]
            print(f"seed {seed}: {time.monotonic() - start:.0f} s; pydicom frames out of domain: {rejected}")
    table = seed_noise.summary(runs)
    Path(args.summary).write_text(json.dumps({"seeds": sorted(runs), "metrics": table}, indent=2) + "\n")
    Path(args.markdown).write_text(seed_noise.markdown(table))
    print(seed_noise.markdown(table), end="")


if __name__ == "__main__":
    main()
