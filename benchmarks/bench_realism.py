"""Can a classifier tell phantom BPD views from real fetal heads? A two-sample test of realism.

    python benchmarks/bench_realism.py [--images 40] [--seed 7] [--json results/realism.json]
                                       [--figure results/realism.png]

Both sides are 224-px clean views, as ingest stores them: phantom BPD images and the shipped HC18
sample (data/hc18). Everything is fitted on the real-train part of HC18 and on `--images` phantom
images, and tested on the real-eval part and on as many other phantom images (never the same
image, nor the same HC18 subject, on both sides). Printed, as balanced accuracy on the held-out
part (0.5: the two sides cannot be told apart) and as grouped 5-fold cross-validation on the
fitted part (folds split by image, HC18 by subject):
- patch test: 24 x 24 patches inside the field of view (usqc/realism.py's features), a logistic
  regression and gradient-boosted trees;
- image test: whole field-of-view statistics, the same two classifiers; the medians of each
  statistic on both sides;
- the share of the real-eval heads that the phantom-trained plane classifier
  (models/plane_classifier.keras, from `dvc repro threshold_sweep`) calls BPD; with
  `--plane-share-only`, only that (scripts/plane_share.sh, once per seed).
`--figure` draws held-out phantom BPD views above real-eval HC18 views (CC BY 4.0, see data/hc18).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import balanced_accuracy_score
from sklearn.model_selection import GroupKFold, cross_val_predict
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from usqc import phantom
from usqc.imageio import read_gray
from usqc.ingest import clean_pixels
from usqc.real_sample import real_part
from usqc.realism import IMAGE_FEATURES, view_features

CLEAN_SIZE = 224


def classifiers(seed: int) -> dict:
    return {
        "logistic": make_pipeline(StandardScaler(), LogisticRegression(max_iter=5000, class_weight="balanced")),
        "boosted_trees": HistGradientBoostingClassifier(max_iter=200, class_weight="balanced", random_state=seed),
    }


def phantom_views(first: int, count: int, seed: int, plane: str = "BPD") -> list[np.ndarray]:
    return [clean_pixels(phantom.generate(plane, i, seed), CLEAN_SIZE) for i in range(first, first + count)]


def real_views(folder: Path, part: str) -> tuple[list[np.ndarray], list[str]]:
    paths, subjects = real_part(folder, part)
    return [clean_pixels(read_gray(p), CLEAN_SIZE) for p in paths], subjects


def samples(rows: list[np.ndarray], groups: list, is_real: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Features, labels (1 = real) and groups from one (k, features) array per view."""
    rows = [np.atleast_2d(r) for r in rows]
    x = np.concatenate(rows)
    g = np.concatenate([[group] * len(r) for group, r in zip(groups, rows, strict=True)])
    return x, np.full(len(x), is_real), g


def two_sample(fit: tuple, test: tuple, seed: int) -> dict:
    """Held-out and grouped-CV balanced accuracy of each classifier (0.5 = indistinguishable)."""
    (x_fit, y_fit, g_fit), (x_test, y_test, _) = fit, test
    out = {}
    for name, model in classifiers(seed).items():
        cv = cross_val_predict(model, x_fit, y_fit, groups=g_fit, cv=GroupKFold(5))
        held_out = model.fit(x_fit, y_fit).predict(x_test)
        out[name] = {
            "held_out": round(float(balanced_accuracy_score(y_test, held_out)), 3),
            "cv": round(float(balanced_accuracy_score(y_fit, cv)), 3),
        }
    return out


def plane_share(model_path: Path, views: list[np.ndarray], planes: list[str]) -> dict | None:
    """Share of `views` the plane classifier calls each plane; None without a trained model."""
    if not model_path.is_file():
        return None
    import usqc.quiet_start  # noqa: F401

    # isort: split
    import keras

    from usqc.corrupted_sets import originals_at
    from usqc.training import predict

    model = keras.saving.load_model(model_path, compile=False)
    calls = predict(model, originals_at(np.stack(views), model.input_shape[1])).argmax(axis=1)
    return {plane: round(float((calls == k).mean()), 3) for k, plane in enumerate(planes)}


def shares_text(shares: dict) -> str:
    return ", ".join(f"{plane} {share:.2f}" for plane, share in shares.items())


def side_by_side(path: Path, phantom_row: list[np.ndarray], real_row: list[np.ndarray], count: int = 6) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(2, count, figsize=(2 * count, 4.3))
    for row, (name, views) in enumerate((("phantom BPD", phantom_row), ("HC18 (real)", real_row))):
        for k, ax in enumerate(axes[row]):
            ax.imshow(views[k], cmap="gray", vmin=0, vmax=255)
            ax.set_xticks([]), ax.set_yticks([])
        axes[row][0].set_ylabel(name)
    fig.tight_layout()
    fig.savefig(path, dpi=80)
    plt.close(fig)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--images", type=int, default=40, help="phantom BPD images on each side (fit, test)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--real", type=Path, default=Path("data/hc18"))
    parser.add_argument("--model", type=Path, default=Path("models/plane_classifier.keras"))
    parser.add_argument("--planes", nargs="+", default=["BPD", "CRL", "NT"], help="the plane classifier's classes")
    parser.add_argument("--json", type=Path, help="also write the results here")
    parser.add_argument("--figure", type=Path, help="draw phantom and real views side by side here")
    parser.add_argument(
        "--plane-share-only", action="store_true", help="only the plane classifier's calls (no phantom, no tests)"
    )
    args = parser.parse_args()
    if args.plane_share_only:  # scripts/plane_share.sh: the phantom's seed is not the model's
        shares = plane_share(args.model, real_views(args.real, "eval")[0], args.planes)
        if shares is None:
            raise SystemExit(f"bench_realism: no {args.model}: train it first (dvc repro threshold_sweep)")
        print(f"plane classifier on real-eval heads: {shares_text(shares)}")
        if args.json:
            args.json.write_text(json.dumps({"plane_classifier_on_real_eval": shares}, indent=2) + "\n")
        return

    real_fit, real_fit_groups = real_views(args.real, "train")
    real_test, real_test_groups = real_views(args.real, "eval")
    fake_fit, fake_test = phantom_views(0, args.images, args.seed), phantom_views(args.images, args.images, args.seed)

    fake_groups = [f"phantom_{i}" for i in range(args.images)]  # HC18 groups are subject numbers
    results: dict = {"images": {"phantom": [len(fake_fit), len(fake_test)], "real": [len(real_fit), len(real_test)]}}
    # (patch features, image features) of every view, computed once
    real_fit_f, real_test_f, fake_fit_f, fake_test_f = (
        [view_features(v) for v in views] for views in (real_fit, real_test, fake_fit, fake_test)
    )
    for k, test_name in enumerate(("patch", "image")):
        fit = (
            samples([f[k] for f in real_fit_f], real_fit_groups, 1),
            samples([f[k] for f in fake_fit_f], fake_groups, 0),
        )
        test = (
            samples([f[k] for f in real_test_f], real_test_groups, 1),
            samples([f[k] for f in fake_test_f], fake_groups, 0),
        )
        stack = [tuple(np.concatenate(parts) for parts in zip(*pair, strict=True)) for pair in (fit, test)]
        results[test_name] = two_sample(stack[0], stack[1], args.seed)
        results[test_name]["samples"] = [int(len(stack[0][0])), int(len(stack[1][0]))]
    real_stats = np.array([f[1] for f in real_fit_f + real_test_f])
    fake_stats = np.array([f[1] for f in fake_fit_f + fake_test_f])
    results["image_medians"] = {
        name: {
            "phantom": round(float(np.median(fake_stats[:, k])), 4),
            "real": round(float(np.median(real_stats[:, k])), 4),
        }
        for k, name in enumerate(IMAGE_FEATURES)
    }
    results["plane_classifier_on_real_eval"] = plane_share(args.model, real_test, args.planes)

    print(
        f"phantom BPD (seed {args.seed}) vs HC18, fit on {len(fake_fit)} + {len(real_fit)} real-train views, "
        f"tested on {len(fake_test)} + {len(real_test)} real-eval views; balanced accuracy, 0.5 = indistinguishable"
    )
    for test_name in ("patch", "image"):
        r = results[test_name]
        print(
            f"  {test_name} test ({r['samples'][0]} fit, {r['samples'][1]} held-out samples): "
            + ", ".join(
                f"{name} {r[name]['held_out']:.3f} held-out / {r[name]['cv']:.3f} CV"
                for name in ("logistic", "boosted_trees")
            )
        )
    print(
        "  image medians (phantom | real): "
        + ", ".join(f"{k} {v['phantom']:.3g} | {v['real']:.3g}" for k, v in results["image_medians"].items())
    )
    shares = results["plane_classifier_on_real_eval"]
    print(
        "  plane classifier on real-eval heads: "
        + (shares_text(shares) if shares else f"no {args.model} (dvc repro threshold_sweep)")
    )
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n")
    if args.figure:
        side_by_side(args.figure, fake_test, real_test)


if __name__ == "__main__":
    main()
