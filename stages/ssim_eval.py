"""DVC stage `ssim_eval` (thesis §7.4): both corruption classifiers over the full intensity range.

Every clean test original is corrupted at `levels_below` intensities under each corruption's
threshold (labelled original) and at `levels_above` from the threshold to where the sweep's mean
SSIM flattens (labelled with the corruption); both models classify every image. Writes Tables
7-8 as metrics, the accuracy-against-SSIM curves (Figures 33-34) and gradient saliency maps;
the classical baseline (train_baseline) is scored beside the CNNs.
"""

import usqc  # noqa: F401  (first: pins OpenBLAS's kernels before numpy loads them, usqc/__init__.py)

# isort: split
import logging

import numpy as np

from usqc import dataset, params, stage
from usqc.errors import UsqcError
from usqc.outputs import atomic_outputs, write_json

log = logging.getLogger("ssim_eval")


def main() -> None:
    args = stage.parse_args(
        __doc__,
        clean="data/clean",
        sweep_metrics="metrics/threshold_sweep.json",
        sweep_plots="plots/threshold_sweep",
        models="models",
        metrics="metrics/ssim_eval.json",
        plots="plots/ssim_eval",
    )
    p = params.load(args.params, "base", "ssim_eval")
    base, cfg = p["base"], p["ssim_eval"]
    manifest = dataset.require(args.clean, "ingest")
    test = np.flatnonzero(manifest["split"] == "test")
    if not test.size:
        raise UsqcError(f"{args.clean} has no test images; raise ingest.test_fraction")
    # TensorFlow loads only once params and inputs are valid: a mistyped key fails at once.
    import usqc.quiet_start  # noqa: F401  (first: keeps TensorFlow's start-up lines out of the log)

    # isort: split
    from usqc.backend import make_deterministic
    from usqc.corrupted_sets import originals_at
    from usqc.figures import accuracy_ssim_figure
    from usqc.label_rule import full_range
    from usqc.saliency import saliency_panel
    from usqc.scorers import load_scorers
    from usqc.ssim_eval import curve, evaluate, example_images, summary

    clean = dataset.open_images(args.clean)[test]
    originals = originals_at(clean, base.image_size)
    thresholds, levels = full_range(args.sweep_metrics, args.sweep_plots, cfg)
    make_deterministic(base.seed)
    models, classifiers, _ = load_scorers(args.models, base.image_size, cfg.batch_size)

    for name, values in levels.items():
        log.info("%s: threshold %s, %d levels %.4g-%.4g", name, thresholds[name], len(values), values[0], values[-1])
    table = evaluate(clean, originals, levels, thresholds, classifiers, base.seed)
    curves = {c: {m: curve(table, m, c) for m in classifiers} for c in levels}
    metrics = {m: summary(table, m) for m in classifiers}
    metrics["images"] = len(table)
    metrics["levels"] = {
        name: {"threshold": thresholds[name], "end": float(values[-1]), "count": len(values)}
        for name, values in levels.items()
    }
    for m in classifiers:
        log.info("%s: accuracy %.4f over %d images", m, metrics[m]["accuracy"], len(table))

    examples = example_images(clean, originals, levels, thresholds, cfg.saliency_images, base.seed)
    with atomic_outputs(args.metrics, args.plots) as (metrics_path, plots):
        write_json(metrics_path, metrics)
        plots.mkdir()
        for c, by_model in curves.items():
            for m, table_c in by_model.items():
                table_c.round(6).to_csv(plots / f"{m}_{c}.csv", index=False)
        accuracy_ssim_figure(
            curves, "accuracy", "Figure 34: accuracy against SSIM (threshold labels)", thresholds,
            plots / "accuracy_vs_ssim.png",
        )  # fmt: skip
        accuracy_ssim_figure(
            curves, "accuracy_all_corrupted", "Figure 33: every image labelled corrupted", thresholds,
            plots / "all_corrupted_vs_ssim.png",
        )  # fmt: skip
        for m, model in models.items():
            saliency_panel(model, examples, plots / f"saliency_{m}.png")


if __name__ == "__main__":
    stage.run(main)
