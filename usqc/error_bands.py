"""Test errors by intensity relative to the threshold: where the label rule's two labels meet.

Pure functions over a test manifest (applied corruption, intensity, label) and predicted labels;
`scripts/errors_by_intensity.py` prints them for the committed outputs.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from usqc import corruptions as C

BANDS = (0.0, 0.8, 1.0, 1.15, np.inf)  # intensity / threshold


def relative_intensity(test: pd.DataFrame, thresholds: dict[str, float | None]) -> np.ndarray:
    """Each row's intensity / its corruption's threshold; NaN for clean originals and for corruptions
    without a threshold."""
    relative = np.full(len(test), np.nan)
    for name, threshold in thresholds.items():
        if threshold is not None:
            rows = (test["applied"] == name).to_numpy()
            relative[rows] = test["intensity"].to_numpy()[rows] / threshold
    return relative


def band_table(
    test: pd.DataFrame, predicted: dict[str, np.ndarray], thresholds: dict[str, float | None]
) -> pd.DataFrame:
    """One row per (corruption, band) and one for the clean originals: image count, and each model's
    accuracy and share of its test errors there. A corruption without a threshold (the sweep never
    failed: every copy is labelled original) is one row."""
    wrong = {m: p != test["label"].to_numpy() for m, p in predicted.items()}
    relative = relative_intensity(test, thresholds)
    groups = []
    for name in C.LABELS[1:]:
        copies = (test["applied"] == name).to_numpy()
        if thresholds.get(name) is None:
            groups.append((name, "no threshold", copies))
            continue
        for low, high in zip(BANDS[:-1], BANDS[1:], strict=True):
            groups.append((name, f"[{low:g}, {high:g})", copies & (relative >= low) & (relative < high)))
    groups.append(("none (clean originals)", "-", (test["applied"] == C.NONE).to_numpy()))
    rows = []
    for name, band, rows_in in groups:
        if not rows_in.any():
            continue
        row = {"corruption": name, "band": band, "images": int(rows_in.sum())}
        for m, w in wrong.items():
            row[f"{m} accuracy"] = round(1 - float(w[rows_in].mean()), 2)
            row[f"{m} share of errors"] = round(float(w[rows_in].sum() / max(w.sum(), 1)), 2)
        rows.append(row)
    return pd.DataFrame(rows)


def near_threshold(test: pd.DataFrame, thresholds: dict[str, float | None]) -> np.ndarray:
    """Rows whose corruption's intensity lies within [BANDS[1], BANDS[3]) x its threshold."""
    relative = relative_intensity(test, thresholds)
    return (relative >= BANDS[1]) & (relative < BANDS[3])  # NaN compares False
