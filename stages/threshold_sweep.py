"""DVC stage `threshold_sweep` (thesis §6): where does each corruption start to matter?

Trains the plane classifier (BPD / CRL / NT) on clean train images, then for each corruption
applies `levels` intensities to every clean test image and records accuracy and SSIM per level.
The threshold is the first intensity whose accuracy falls below the floor (and, reported too,
the first that falls `max_drop` below clean accuracy), with bootstrap intervals over test images.
"""

import usqc  # noqa: F401  (first: pins OpenBLAS's kernels before numpy loads them, usqc/__init__.py)

# isort: split
import logging

import numpy as np

from usqc import corruptions, dataset, params, stage
from usqc.outputs import atomic_outputs, write_json

log = logging.getLogger("threshold_sweep")


def main() -> None:
    args = stage.parse_args(
        __doc__,
        clean="data/clean",
        model="models/plane_classifier.keras",
        metrics="metrics/threshold_sweep.json",
        plots="plots/threshold_sweep",
    )
    p = params.load(args.params, "base", "threshold_sweep")
    base, cfg = p["base"], p["threshold_sweep"]
    manifest = dataset.require(args.clean, "ingest")
    # TensorFlow loads only once the params are valid: a mistyped key fails at once.
    import usqc.quiet_start  # noqa: F401  (first: keeps TensorFlow's start-up lines out of the log)

    # isort: split
    from usqc import backend
    from usqc.backend import make_deterministic
    from usqc.corrupted_sets import originals_at
    from usqc.figures import sweep_figures
    from usqc.models import build
    from usqc.saved_models import save_model
    from usqc.split import hold_out
    from usqc.threshold_sweep import sweep_all, sweep_metrics
    from usqc.training import fit, predict

    make_deterministic(base.seed)
    planes = list(dict.fromkeys(manifest["plane"]))
    labels = manifest["plane"].map(planes.index).to_numpy()
    images = originals_at(dataset.open_images(args.clean), base.image_size)

    train = np.flatnonzero(manifest["split"] == "train")
    fit_rows, val_rows = hold_out(manifest, train, "plane", cfg.validation_fraction, base.seed)
    test = np.flatnonzero(manifest["split"] == "test")
    log.info("plane classifier: %d fit, %d validation, %d test images", len(fit_rows), len(val_rows), len(test))

    model = build(cfg.arch, base.image_size, len(planes), cfg.weights, param_key="threshold_sweep.weights")
    history = fit(
        model, images, labels, fit_rows, val_rows, epochs=cfg.epochs, batch_size=cfg.batch_size,
        learning_rate=cfg.learning_rate, seed=base.seed,
        schedule=cfg.learning_rate_schedule, augment=cfg.augment,
    )  # fmt: skip

    def classify(batch: np.ndarray) -> np.ndarray:
        return predict(model, batch, cfg.batch_size).argmax(axis=1)

    clean_correct = classify(images[test]) == labels[test]
    val_accuracy = float((classify(images[val_rows]) == labels[val_rows]).mean()) if len(val_rows) else None
    clean_test = dataset.open_images(args.clean)[test]
    curves, found = sweep_all(cfg, clean_test, images[test], labels[test], clean_correct, classify, base.seed)
    for name, found_c in found.items():
        log.info("%s: threshold %s (%s)", name, found_c["floor"], corruptions.REGISTRY[name].unit)
    train_accuracy = float(history.history["accuracy"][-1])
    metrics_data = {
        **sweep_metrics(cfg, planes, clean_correct, val_accuracy, train_accuracy, found),
        "backend": backend.name(),
    }
    with atomic_outputs(args.model, args.metrics, args.plots) as (model_path, metrics_path, plots):
        save_model(model, model_path)
        write_json(metrics_path, metrics_data)
        plots.mkdir()
        for name, curve in curves.items():
            curve.round(6).to_csv(plots / f"{name}.csv", index=False)
        sweep_figures(
            curves,
            {name: t["floor"] for name, t in found.items()},
            metrics_data["units"],
            {key: plots / f"{key}.png" for key in ("accuracy_vs_intensity", "accuracy_vs_ssim", "ssim_vs_intensity")},
        )


if __name__ == "__main__":
    stage.run(main)
