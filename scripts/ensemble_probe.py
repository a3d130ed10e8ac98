"""Averaged class probabilities of one run's classifiers on ssim_eval's full range (a probe).

    PYTHONPATH=. python scripts/ensemble_probe.py [--json out.json]

Run at the root of a checkout with that run's data and models checked out (`dvc checkout`).
Each combination of the two CNNs and the classical baseline (each calibrated, as saved; a
baseline saved before its calibration gives its trees' own probabilities) predicts the class of
highest mean probability, with no weight fitted: nothing is chosen on the images it is scored on.
Scored with `ssim_eval`'s own functions and params; prints
one line per combination. Nothing is written into the checkout.
"""

from __future__ import annotations

import argparse
import json
from itertools import combinations
from pathlib import Path

import numpy as np

from usqc import dataset, params
from usqc.backend import make_deterministic
from usqc.baseline import load_baseline
from usqc.corrupted_sets import originals_at
from usqc.label_rule import full_range
from usqc.outputs import write_json
from usqc.saved_models import load_classifier
from usqc.scorers import BASELINE, CNNS
from usqc.ssim_eval import evaluate, summary
from usqc.training import predict


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--json", type=Path, help="also write the result here (4 decimals, as metrics are)")
    args = parser.parse_args()
    p = params.load(Path("params.yaml"), "base", "ssim_eval")
    base, cfg = p["base"], p["ssim_eval"]
    manifest = dataset.require(Path("data/clean"), "ingest")
    clean = dataset.open_images("data/clean")[np.flatnonzero(manifest["split"] == "test")]
    thresholds, levels = full_range(Path("metrics/threshold_sweep.json"), Path("plots/threshold_sweep"), cfg)
    cnns = {m: load_classifier(f"models/{m}.keras", base.image_size) for m in CNNS}
    baseline = load_baseline(Path(f"models/{BASELINE}.pkl"))
    last: dict = {}

    def probabilities(images: np.ndarray) -> dict[str, np.ndarray]:
        """Every model's probabilities for one evaluated set, computed once for all combinations."""
        if last.get("images") is not images:
            last.update(images=images, p={m: predict(model, images, cfg.batch_size) for m, model in cnns.items()})
            last["p"][BASELINE] = baseline.predict_proba(images)
        return last["p"]

    names = (*CNNS, BASELINE)
    combos = [c for k in (1, 2, 3) for c in combinations(names, k)]
    scorers = {
        "+".join(c): (lambda images, c=c: np.mean([probabilities(images)[m] for m in c], axis=0).argmax(axis=1))
        for c in combos
    }
    make_deterministic(base.seed)
    table = evaluate(clean, originals_at(clean, base.image_size), levels, thresholds, scorers, base.seed)
    out = {}
    edges = ("level_below_threshold", "at_threshold")
    for name in scorers:
        s = summary(table, name)
        out[name] = {"full_range": s["accuracy"], "off_threshold": s["accuracy_off_threshold"],
                     "originals": s["originals_accuracy"]}  # fmt: skip
        out[name].update({f"{c}_{k}": v[k] for c, v in s["by_corruption"].items() for k in edges})
        print(name, json.dumps({k: v if v is None else round(v, 3) for k, v in out[name].items()}), flush=True)
    if args.json:
        write_json(args.json, out)


if __name__ == "__main__":
    main()
