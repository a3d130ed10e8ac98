"""DVC stage `train_baseline`: the classical baseline beside the CNNs (usqc.baseline).

No-reference features of every training image of data/corrupted and a gradient-boosted tree
classifier of the four classes, calibrated and guarded by patient-grouped cross-fitting; the same
test report as the CNNs (Tables 5-6), and the model that ssim_eval, real_eval and `usqc clean` use
beside them.
"""

import usqc  # noqa: F401  (first: pins OpenBLAS's kernels before numpy loads them, usqc/__init__.py)

# isort: split
import logging

import numpy as np

from usqc import corruptions, dataset, params, stage
from usqc.baseline import Baseline
from usqc.evaluation import confusion, prediction_table, report
from usqc.figures import confusion_figure
from usqc.outputs import atomic_outputs, write_json

log = logging.getLogger("train_baseline")


def main() -> None:
    args = stage.parse_args(
        __doc__,
        data="data/corrupted",
        model="models/baseline.pkl",
        metrics="metrics/train_baseline.json",
        plots="plots/train_baseline",
    )
    p = params.load(args.params, "base", "train_baseline")
    base, cfg = p["base"], p["train_baseline"]
    manifest = dataset.require(args.data, "corrupt")
    images = dataset.open_images(args.data)
    classes = list(corruptions.LABELS)
    labels = manifest["label"].map(classes.index).to_numpy()
    train = np.flatnonzero(manifest["split"] == "train")
    test = np.flatnonzero(manifest["split"] == "test")
    log.info("baseline: %d train, %d test images", len(train), len(test))

    groups = manifest["group_id"].to_numpy()[train]
    model = Baseline(images.shape[1], cfg.max_iter, cfg.learning_rate, base.seed)
    model.fit(images[train], labels[train], groups, cfg.guard_quantile)
    predicted = model.predict(images[test])
    metrics = {
        "test": report(labels[test], predicted, classes),
        "train_images": int(len(train)),
        "calibration": model.calibration,
    }
    with atomic_outputs(args.model, args.metrics, args.plots) as (model_path, metrics_path, plots):
        model.save(model_path)
        write_json(metrics_path, metrics)
        plots.mkdir()
        prediction_table(labels[test], predicted, classes).to_csv(plots / "predictions.csv", index=False)
        confusion_figure(
            confusion(labels[test], predicted, classes), classes, "baseline (test split)", plots / "confusion.png"
        )
    log.info("baseline test accuracy %.4f", metrics["test"]["accuracy"])


if __name__ == "__main__":
    stage.run(main)
