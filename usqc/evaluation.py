"""Classification reports in the thesis' form (Tables 5-8): accuracy, per-class and averaged P/R/F1."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from sklearn.metrics import classification_report, confusion_matrix


def report(y_true: np.ndarray, y_pred: np.ndarray, classes: Sequence[str]) -> dict:
    """accuracy, macro_avg and weighted_avg {precision, recall, f1}, and per class with support."""
    raw = classification_report(
        y_true, y_pred, labels=list(range(len(classes))), target_names=list(classes), output_dict=True, zero_division=0
    )
    rename = {"precision": "precision", "recall": "recall", "f1-score": "f1", "support": "support"}

    def pick(entry: dict) -> dict:
        return {new: (int(entry[old]) if old == "support" else float(entry[old])) for old, new in rename.items()}

    return {
        "accuracy": float(np.mean(np.asarray(y_true) == np.asarray(y_pred))) if len(y_true) else None,
        "macro_avg": pick(raw["macro avg"]),
        "weighted_avg": pick(raw["weighted avg"]),
        "per_class": {name: pick(raw[name]) for name in classes},
    }


def confusion(y_true: np.ndarray, y_pred: np.ndarray, classes: Sequence[str]) -> np.ndarray:
    return confusion_matrix(y_true, y_pred, labels=list(range(len(classes))))


def prediction_table(y_true: np.ndarray, y_pred: np.ndarray, classes: Sequence[str]) -> pd.DataFrame:
    """One row per test image (actual, predicted): the input of dvc's `confusion` template."""
    names = np.asarray(classes)
    return pd.DataFrame({"actual": names[np.asarray(y_true)], "predicted": names[np.asarray(y_pred)]})
