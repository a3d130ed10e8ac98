"""DVC stage `real_eval`: both corruption classifiers on real scans they were never trained on.

Scan sets: the real-eval part of data/hc18 (fetal heads, split by subject from the real-train
part that ingest_unlabelled may train on) and pydicom-data's real non-fetal B-mode frames. Per
model and set: false alarms on the uncorrupted scans, detection, 4-class accuracy and per-class
recall on seeded copies at ssim_eval's intensities from each threshold up, each with a 95 %
interval; the domain guard's rejections of those scans, of the phantom test images and of
non-ultrasound pictures. Curves of detection against intensity on HC18 sit beside the phantom's.
The classical baseline (train_baseline) is scored beside the CNNs, its own guard too.
"""

import usqc  # noqa: F401  (first: pins OpenBLAS's kernels before numpy loads them, usqc/__init__.py)

# isort: split
import logging

import numpy as np

from usqc import dataset, params, stage
from usqc.outputs import atomic_outputs, write_json

log = logging.getLogger("real_eval")


def main() -> None:
    args = stage.parse_args(
        __doc__,
        real="data/hc18",
        clean="data/clean",
        sweep_metrics="metrics/threshold_sweep.json",
        sweep_plots="plots/threshold_sweep",
        models="models",
        metrics="metrics/real_eval.json",
        plots="plots/real_eval",
    )
    p = params.load(args.params, "base", "ssim_eval", "real_eval")
    base, levels_cfg, cfg = p["base"], p["ssim_eval"], p["real_eval"]
    # TensorFlow loads only once the params are valid: a mistyped key fails at once.
    import usqc.quiet_start  # noqa: F401  (first: keeps TensorFlow's start-up lines out of the log)

    # isort: split
    from usqc.backend import make_deterministic
    from usqc.label_rule import full_range
    from usqc.real_eval import (
        guard_inputs,
        levels_from_threshold,
        non_ultrasound_images,
        real_scan_sets,
        score_real_sets,
    )
    from usqc.scorers import load_scorers
    from usqc.ssim_eval import curve

    thresholds, full_levels = full_range(args.sweep_metrics, args.sweep_plots, levels_cfg)
    levels = levels_from_threshold(full_levels, thresholds, cfg.copies)
    scan_sets = real_scan_sets(args.real, cfg.dicom_frames, base.clean_size, cfg.mask_outside_fov)
    manifest = dataset.require(args.clean, "ingest")
    phantom_test = dataset.open_images(args.clean)[np.flatnonzero(manifest["split"] == "test")]
    outsiders = non_ultrasound_images(base.seed)
    make_deterministic(base.seed)
    _, classifiers, guards = load_scorers(args.models, base.image_size, cfg.batch_size)

    guard_sets = guard_inputs(phantom_test, outsiders, base.clean_size, base.image_size)
    scored, tables = score_real_sets(
        scan_sets, guard_sets, levels, thresholds, classifiers, guards, base.image_size, base.seed, cfg.bootstrap
    )
    metrics: dict = {"levels": {name: [float(x) for x in np.unique(v)] for name, v in levels.items()}, **scored}
    metrics["guard"]["non_ultrasound_inputs"] = list(outsiders)
    for set_name in scan_sets:
        for m in classifiers:
            headline = {k: metrics[set_name][m][k]["value"] for k in ("false_alarms", "detection", "accuracy")}
            log.info("%s %s: %s", set_name, m, headline)
    curves = {(m, c): curve(tables["hc18"], m, c) for m in classifiers for c in levels}

    with atomic_outputs(args.metrics, args.plots) as (metrics_path, plots):
        write_json(metrics_path, metrics)
        plots.mkdir()
        for (m, c), table_c in curves.items():
            table_c.round(6).to_csv(plots / f"hc18_{m}_{c}.csv", index=False)


if __name__ == "__main__":
    stage.run(main)
