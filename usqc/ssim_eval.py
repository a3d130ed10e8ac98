"""Thesis §7.4: the corruption classifiers on test originals corrupted over the full intensity range.

Per corruption, intensities run from below its threshold (labelled `original`: too weak to
change the plane classifier's answers) through the threshold (labelled with the corruption) to
where mean SSIM stops falling. Every evaluated image is one row of a table; the curves
(Figures 33, 34) and the reports (Tables 7, 8) are read off that table.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping

import numpy as np
import pandas as pd
from tqdm import tqdm

from usqc import corruptions as C
from usqc.corrupted_sets import corrupt_all
from usqc.corruptions import NONE  # the `corruption` of the test originals themselves
from usqc.evaluation import report
from usqc.label_rule import label_for


def evaluate(
    clean: np.ndarray,
    originals: np.ndarray,
    levels: Mapping[str, np.ndarray],
    thresholds: Mapping[str, float | None],
    classifiers: Mapping[str, Callable[[np.ndarray], np.ndarray]],
    seed: int,
) -> pd.DataFrame:
    """One row per evaluated image: the originals, then every original at every level.

    clean: uint8 test images at the clean size; originals: the same at model size. classifiers
    map uint8 model-size images to class ids (in C.LABELS order); one column of predicted labels
    per classifier. Columns: corruption, level, intensity, image, ssim, label, then the models.
    """
    names = np.asarray(C.LABELS)
    parts = [
        pd.DataFrame({**columns, **{model: names[classify(images)] for model, classify in classifiers.items()}})
        for columns, images in evaluation_sets(clean, originals, levels, thresholds, seed)
    ]
    return pd.concat(parts, ignore_index=True)


def evaluation_sets(
    clean: np.ndarray,
    originals: np.ndarray,
    levels: Mapping[str, np.ndarray],
    thresholds: Mapping[str, float | None],
    seed: int,
) -> Iterator[tuple[dict, np.ndarray]]:
    """The originals, then every original at every level, one set at a time: (the table columns
    corruption, level, intensity, image, ssim, label; the uint8 model-size images)."""
    yield _columns(NONE, -1, 0.0, np.ones(len(originals)), "original"), originals
    for name, intensities in levels.items():
        for level, intensity in enumerate(tqdm(intensities, desc=name, unit="level", mininterval=5)):
            images, scores = corrupt_all(clean, originals, name, float(intensity), seed, "full_range", level)
            label = label_for(name, float(intensity), thresholds.get(name))
            yield _columns(name, level, float(intensity), scores, label), images


def _columns(corruption: str, level: int, intensity: float, scores: np.ndarray, label: str) -> dict:
    return {
        "corruption": corruption,
        "level": level,
        "intensity": intensity,
        "image": np.arange(len(scores)),
        "ssim": scores,
        "label": label,
    }


def curve(table: pd.DataFrame, model: str, corruption: str) -> pd.DataFrame:
    """Per intensity (the originals first, at 0): mean SSIM, the labelled class, accuracy against
    the threshold labels, and accuracy when every image counts as corrupted (thesis Figure 33)."""
    rows = table[table["corruption"].isin([NONE, corruption])]
    hits = rows.assign(
        correct=rows[model] == rows["label"],
        called_corrupted=rows[model] == corruption,
    )
    grouped = hits.groupby("intensity", sort=True)
    return pd.DataFrame(
        {
            "intensity": grouped["intensity"].first(),
            "mean_ssim": grouped["ssim"].mean(),
            "label": grouped["label"].first(),
            "accuracy": grouped["correct"].mean(),
            "accuracy_all_corrupted": grouped["called_corrupted"].mean(),
            "images": grouped.size(),
        }
    ).reset_index(drop=True)


def summary(table: pd.DataFrame, model: str) -> dict:
    """Tables 7-8 (report over every evaluated image) plus accuracy on the originals and, per
    corruption, over its levels below and at/above the threshold (None where there are none)."""
    classes = list(C.LABELS)
    truth = table["label"].map(classes.index).to_numpy()
    predicted = table[model].map(classes.index).to_numpy()
    correct = truth == predicted
    result = report(truth, predicted, classes)

    def share(mask: np.ndarray) -> float | None:
        return float(correct[mask].mean()) if mask.any() else None

    is_original = (table["label"] == "original").to_numpy()
    levels = table["level"].to_numpy()
    result["originals_accuracy"] = share((table["corruption"] == NONE).to_numpy())
    result["by_corruption"] = {}
    at_thresholds = np.zeros(len(table), dtype=bool)
    for name in table["corruption"].unique():
        if name == NONE:
            continue
        mine = (table["corruption"] == name).to_numpy()
        at = mine & (levels == levels[mine & ~is_original].min()) if (mine & ~is_original).any() else mine & False
        below = mine & (levels == levels[mine & is_original].max()) if (mine & is_original).any() else mine & False
        at_thresholds |= at
        result["by_corruption"][name] = {
            "below_threshold": share(mine & is_original),
            "above_threshold": share(mine & ~is_original),
            "level_below_threshold": share(below),  # the strongest level still labelled original
            "at_threshold": share(at),  # the threshold's own level, the weakest labelled corrupted
        }
    result["accuracy_off_threshold"] = share(~at_thresholds)  # every level but the thresholds' own
    return result


def example_images(
    clean: np.ndarray,
    originals: np.ndarray,
    levels: Mapping[str, np.ndarray],
    thresholds: Mapping[str, float | None],
    count: int,
    seed: int,
) -> dict[str, np.ndarray]:
    """`count` evaluated images per class, spread over the test set: originals, and each corruption
    at the middle of its above-threshold levels (its strongest level when it has none)."""
    picks = np.unique(np.linspace(0, len(originals) - 1, count).round().astype(int))
    examples = {"original": originals[picks]}
    for name, intensities in levels.items():
        above = [k for k, x in enumerate(intensities) if label_for(name, float(x), thresholds.get(name)) == name]
        level = above[len(above) // 2] if above else len(intensities) - 1
        images, _ = corrupt_all(clean, originals, name, float(intensities[level]), seed, "full_range", level)
        examples[name] = images[picks]
    return examples
