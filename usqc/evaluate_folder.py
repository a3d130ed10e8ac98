"""`usqc evaluate`: how a trained model does on a folder of your own clean scans, before
`usqc clean` runs on your database.

The scans count as uncorrupted; seeded copies of each at `ssim_eval`'s intensities from each
threshold up count as corrupted. They are scored as `real_eval` scores the shipped real-eval heads
(the same table, metrics and 95 % intervals: a false alarm is a scan whose most likely class is not
`original`), plus what `usqc clean` would do at each `--threshold`: the share of the scans it would
flag (false alarms) and of the corrupted copies (detection), out-of-domain files never flagged.
Nothing is filtered out before counting. Outputs hold counts and shares only, no file names.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from usqc import corruptions as C
from usqc.clean import PROBABILITY_COLUMNS, clean_view, decide
from usqc.corruptions import NONE
from usqc.errors import UsqcError
from usqc.intervals import share_with_interval
from usqc.real_eval import out_of_domain_share, scan_metrics
from usqc.real_sample import group_of
from usqc.ssim_eval import evaluation_sets

OPERATING_THRESHOLDS = (0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.99)
PREDICTED = "predicted"


def read_scans(
    paths: Sequence[Path], src: Path, group_by: str, pattern: str, clean_size: int, mask_fov: bool = False
) -> tuple[np.ndarray, list[str], list[str]]:
    """(clean uint8 views of the readable files, the subject of each, the unreadable files' relative paths).

    group_by: file (each file its own subject), subfolder (its first sub-folder) or pattern (the
    file name's first regex group), so that the intervals resample whole subjects."""
    views, groups, unreadable = [], [], []
    for path in paths:
        relative = path.relative_to(src)
        try:
            group = group_of(relative, group_by, pattern)
        except UsqcError:
            raise UsqcError(
                f"{relative.name}: file name does not match --group-pattern {pattern!r}; fix it or use --group-by"
            ) from None
        try:
            views.append(clean_view(path, clean_size, mask_fov))
        except UsqcError:
            unreadable.append(relative.as_posix())
            continue
        groups.append(group)
    if not views:
        raise UsqcError(f"{src}: none of the {len(paths)} matching files could be read; give a folder of scans")
    return np.stack(views), groups, unreadable


def scored_table(
    clean: np.ndarray,
    originals: np.ndarray,
    levels: Mapping[str, np.ndarray],
    thresholds: Mapping[str, float | None],
    predict: Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]],
    seed: int,
) -> pd.DataFrame:
    """ssim_eval's table of the scans and their corrupted copies (`usqc.ssim_eval.evaluation_sets`)
    with the model's most likely class, calibrated probabilities and domain score per image.
    predict: as `usqc.calibration.predict_guarded`."""
    names = np.asarray(C.LABELS)
    parts = []
    for columns, images in evaluation_sets(clean, originals, levels, thresholds, seed):
        probabilities, scores = predict(images)
        probabilities = np.asarray(probabilities)
        parts.append(
            pd.DataFrame(
                {
                    **columns,
                    PREDICTED: names[probabilities.argmax(axis=1)],
                    **dict(zip(PROBABILITY_COLUMNS, probabilities.T, strict=True)),
                    "domain_score": scores,
                }
            )
        )
    return pd.concat(parts, ignore_index=True)


def operating_points(
    table: pd.DataFrame, groups: Sequence[str], thresholds: Sequence[float], resamples: int, seed: int
) -> list[dict]:
    """Per `usqc clean --threshold`: the shares of scans and of corrupted copies it would flag, with
    95 % intervals (copies resampled by subject)."""
    subject = np.asarray(groups)[table["image"].to_numpy()]
    uncorrupted = (table["corruption"] == NONE).to_numpy()
    corrupted = ~uncorrupted & (table["label"] != C.LABELS[0]).to_numpy()
    readable = table.assign(error="")  # every row was read; one copy for all thresholds
    points = []
    for threshold in thresholds:
        flagged = (decide(readable, threshold) == "flag").to_numpy()
        points.append(
            {
                "threshold": float(threshold),
                "false_alarms": share_with_interval(flagged[uncorrupted], None, 0, seed),
                "detection": share_with_interval(flagged[corrupted], subject[corrupted], resamples, seed),
            }
        )
    return points


def folder_metrics(table: pd.DataFrame, groups: Sequence[str], resamples: int, seed: int) -> dict:
    """real_eval's metrics of the model on these scans, their out-of-domain share and the operating points."""
    uncorrupted = table["corruption"] == NONE
    metrics = scan_metrics(table, PREDICTED, np.asarray(groups), resamples, seed)
    scores = table.loc[uncorrupted, "domain_score"].to_numpy(dtype=float)
    unguarded = np.isnan(scores).all()  # a model without a domain guard: no share to report
    metrics["out_of_domain"] = share_with_interval([], None, 0, seed) if unguarded else out_of_domain_share(scores)
    metrics["operating_points"] = operating_points(table, groups, OPERATING_THRESHOLDS, resamples, seed)
    return metrics


def summary_lines(metrics: dict) -> list[str]:
    """The metrics as the terminal shows them: each share with its interval and count."""

    def share(entry: dict) -> str:
        if entry["value"] is None:
            return "–"
        return f"{entry['value']:.3f} [{entry['ci_low']:.3f}, {entry['ci_high']:.3f}] of {entry['n']}"

    rows = [
        ("false alarms (scans not called original)", metrics["false_alarms"]),
        ("detection (corrupted copies not original)", metrics["detection"]),
        ("4-class accuracy", metrics["accuracy"]),
        *((f"  recall {label}", recall) for label, recall in metrics["recall"].items()),
        ("out of domain (of the scans)", metrics["out_of_domain"]),
    ]
    lines = [f"{name + ':':<44}{share(entry)}" for name, entry in rows]
    lines += ["", f"{'usqc clean --threshold':<24}{'flags scans (false alarms)':<34}flags corrupted copies (detection)"]
    lines += [
        f"{p['threshold']:<24.2f}{share(p['false_alarms']):<34}{share(p['detection'])}"
        for p in metrics["operating_points"]
    ]
    return lines
