"""DVC stages `train_vgg16` and `train_xception` (thesis §7.2-7.3): the corruption classifiers.

Trains the thesis model (base + Flatten + Dense 1024 + softmax) to tell original, scale_up, blur
and noise apart on data/corrupted, validating on held-out train groups; evaluates on the test
split. `--section` picks the params section, so one script serves both stages. Training may run
in mixed precision (`precision: auto`, usqc.backend.dtype_policy); the model that is calibrated,
evaluated and saved is float32 either way.
"""

import usqc  # noqa: F401  (first: pins OpenBLAS's kernels before numpy loads them, usqc/__init__.py)

# isort: split
import logging
import time

import numpy as np

from usqc import corruptions, dataset, params, stage
from usqc.errors import UsqcError
from usqc.outputs import atomic_outputs, write_json

log = logging.getLogger("train")


def main() -> None:
    args = stage.parse_args(
        __doc__,
        section="train_vgg16",
        data="data/corrupted",
        model="models/vgg16.keras",
        metrics="metrics/train_vgg16.json",
        plots="plots/train_vgg16",
    )
    p = params.load(args.params, "base", args.section)
    base, cfg = p["base"], p[args.section]
    manifest = dataset.require(args.data, "corrupt")
    images = dataset.open_images(args.data)
    if images.shape[1] != base.image_size:
        raise UsqcError(
            f"{args.data} holds {images.shape[1]} px images but base.image_size is {base.image_size}; rerun corrupt"
        )
    # TensorFlow loads only once params and inputs are valid: a mistyped key fails at once.
    import usqc.quiet_start  # noqa: F401  (first: keeps TensorFlow's start-up lines out of the log)

    # isort: split
    from dvclive import Live

    from usqc import backend
    from usqc.backend import distribution_for
    from usqc.calibration import calibrate
    from usqc.evaluation import confusion, prediction_table, report
    from usqc.figures import confusion_figure
    from usqc.live import LiveMetrics
    from usqc.models import ARCHS, build, float32_twin, mirror_averaged
    from usqc.saved_models import save_model
    from usqc.split import hold_out
    from usqc.training import fit

    classes = list(corruptions.LABELS)
    labels = manifest["label"].map(classes.index).to_numpy()
    train = np.flatnonzero(manifest["split"] == "train")
    fit_rows, val_rows = hold_out(manifest, train, "label", cfg.validation_fraction, base.seed)
    test = np.flatnonzero(manifest["split"] == "test")
    log.info("%s: %d fit, %d validation, %d test images", cfg.arch, len(fit_rows), len(val_rows), len(test))

    distribution = distribution_for(cfg.distribute, cfg.precision, base.seed, ARCHS[cfg.arch].bfloat16_on_cpu)
    with atomic_outputs(args.model, args.metrics, args.plots) as (model_path, metrics_path, plots):
        plots.mkdir()
        live = Live(str(plots / "live"), dvcyaml=False, save_dvc_exp=False, report=None)
        with distribution.scope():
            model = build(cfg.arch, base.image_size, len(classes), cfg.weights, param_key=f"{args.section}.weights")
            started = time.perf_counter()
            history = fit(
                model, images, labels, fit_rows, val_rows,
                epochs=cfg.epochs, batch_size=cfg.batch_size, learning_rate=cfg.learning_rate, seed=base.seed,
                schedule=cfg.learning_rate_schedule,
                patience=cfg.early_stopping_patience, callbacks=[LiveMetrics(live)], distribution=distribution,
            )  # fmt: skip
            seconds = time.perf_counter() - started  # LiveMetrics ended `live` with the training
        model = float32_twin(model, cfg.arch)
        if cfg.mirror_average:  # before calibration: temperature, biases and guard fit the averaged features
            model = mirror_averaged(model)
        calibration, test_probabilities = calibrate(
            model, images, labels, fit_rows, val_rows, test,
            quantile=cfg.guard_quantile, seed=base.seed, batch_size=cfg.batch_size,
        )  # fmt: skip
        predicted = test_probabilities.argmax(axis=1)
        epochs_run = len(history.history["loss"])
        metrics = {
            "test": report(labels[test], predicted, classes),
            "backend": backend.name(),
            "precision": distribution.policy,  # of the training; the saved model is float32
            "epochs": epochs_run,
            "train_images": int(len(fit_rows)),
            "final_train_accuracy": float(history.history["accuracy"][-1]),
            "calibration": calibration,
        }
        unlabelled = manifest["plane"].to_numpy()[test] == dataset.UNLABELLED
        if unlabelled.any():  # a user's own scans in the test split: their report apart
            metrics["test_unlabelled"] = report(labels[test][unlabelled], predicted[unlabelled], classes)
        if len(val_rows):  # the saved model's (after BatchNorm recalibration), from the calibration pass
            metrics["final_validation_accuracy"] = calibration.pop("validation_accuracy")
        write_json(metrics_path, metrics)
        prediction_table(labels[test], predicted, classes).to_csv(plots / "predictions.csv", index=False)
        confusion_figure(
            confusion(labels[test], predicted, classes), classes, f"{cfg.arch} (test split)", plots / "confusion.png"
        )
        save_model(model, model_path)
    # Logged, not a metric: a machine's speed in metrics/ would leave a fresh clone's `make run` dirty.
    rate = len(fit_rows) * epochs_run / seconds
    log.info("%s test accuracy %.4f; %.1f training images/s", cfg.arch, metrics["test"]["accuracy"], rate)


if __name__ == "__main__":
    stage.run(main)
