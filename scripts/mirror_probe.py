"""Paired effect of mirror averaging on one run's trained CNNs: plain against mirror-averaged.

    python scripts/mirror_probe.py [--json out.json] [--models vgg16 xception]

Run at the root of a checkout whose probed models were trained and calibrated plain
(`train_<model>.mirror_average: false`; `--models` names them when the others predict mirrored),
with that run's data checked out, e.g. a DVC experiment:

    git worktree add --detach /tmp/run <experiment ref>
    cd /tmp/run && dvc cache dir --local <repo>/.dvc/cache && dvc checkout
    PYTHONPATH=<repo> python <repo>/scripts/mirror_probe.py

Each CNN is wrapped by `usqc.models.mirror_averaged` and calibrated as the training stage does it
(same fit, validation and test rows, same guard quantile), then both versions are scored with the
pipeline's own functions and params: the test split, `ssim_eval`'s full range, and `real_eval`'s
HC18 and pydicom-data scans. Prints one JSON object: per model, plain and `<model>_mirror`.
Nothing is written into the checkout.
"""

from __future__ import annotations

import argparse
import json
import tempfile
from functools import partial
from pathlib import Path

import numpy as np
import yaml

from usqc import corruptions, dataset, params
from usqc.backend import make_deterministic
from usqc.calibration import calibrate
from usqc.corrupted_sets import originals_at
from usqc.label_rule import full_range
from usqc.models import mirror_averaged
from usqc.real_eval import levels_from_threshold, real_scan_sets, scan_metrics
from usqc.saved_models import load_classifier
from usqc.scorers import class_ids
from usqc.split import hold_out
from usqc.ssim_eval import evaluate, summary

CNNS = ("vgg16", "xception")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--json", type=Path, help="also write the result here")
    parser.add_argument("--models", nargs="+", choices=CNNS, default=CNNS, help="the plain CNNs to probe")
    args = parser.parse_args()
    raw = yaml.safe_load(Path("params.yaml").read_text())
    for arch in CNNS:  # a run from before the key existed trained and predicted plain
        raw[f"train_{arch}"].setdefault("mirror_average", False)
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "params.yaml").write_text(yaml.safe_dump(raw))
        p = params.load(Path(tmp) / "params.yaml", "base", "ssim_eval", "real_eval", *(f"train_{a}" for a in CNNS))
    base, full, real = p["base"], p["ssim_eval"], p["real_eval"]
    manifest = dataset.require(Path("data/corrupted"), "corrupt")
    images = dataset.open_images("data/corrupted")
    labels = manifest["label"].map(list(corruptions.LABELS).index).to_numpy()
    train, test = (np.flatnonzero(manifest["split"] == s) for s in ("train", "test"))
    models = {}
    for arch in args.models:
        cfg = p[f"train_{arch}"]
        fit_rows, val_rows = hold_out(manifest, train, "label", cfg.validation_fraction, base.seed)
        models[arch] = load_classifier(f"models/{arch}.keras", base.image_size)
        averaged = mirror_averaged(load_classifier(f"models/{arch}.keras", base.image_size))
        calibrate(averaged, images, labels, fit_rows, val_rows, test,
                  quantile=cfg.guard_quantile, seed=base.seed, batch_size=cfg.batch_size)  # fmt: skip
        models[f"{arch}_mirror"] = averaged
    scorers = {m: partial(class_ids, model, full.batch_size) for m, model in models.items()}
    out = {m: {"test": float((score(np.asarray(images[test])) == labels[test]).mean())} for m, score in scorers.items()}

    clean_manifest = dataset.require(Path("data/clean"), "ingest")
    clean = dataset.open_images("data/clean")[np.flatnonzero(clean_manifest["split"] == "test")]
    thresholds, levels = full_range(Path("metrics/threshold_sweep.json"), Path("plots/threshold_sweep"), full)
    make_deterministic(base.seed)
    table = evaluate(clean, originals_at(clean, base.image_size), levels, thresholds, scorers, base.seed)
    for m in scorers:
        s = summary(table, m)
        out[m].update(full_range=s["accuracy"], off_threshold=s["accuracy_off_threshold"])

    real_levels = levels_from_threshold(levels, thresholds, real.copies)
    scans = real_scan_sets(Path("data/hc18"), real.dicom_frames, base.clean_size, real.mask_outside_fov)
    for name, (scan_clean, groups) in scans.items():
        scored = evaluate(scan_clean, originals_at(scan_clean, base.image_size), real_levels, thresholds, scorers,
                          base.seed)  # fmt: skip
        for m in scorers:
            metrics = scan_metrics(scored, m, np.asarray(groups), real.bootstrap, base.seed)
            out[m].update({f"{name}_{k}": metrics[k]["value"] for k in ("false_alarms", "detection", "accuracy")})
    print(json.dumps(out, indent=1))
    if args.json:
        args.json.write_text(json.dumps(out, indent=1) + "\n")


if __name__ == "__main__":
    main()
