"""Where the corruption classifiers err on the test split: accuracy by intensity relative to the threshold.

    python scripts/errors_by_intensity.py [--data data/corrupted] [--models vgg16 xception baseline]

Reads the committed outputs (no model runs): the test rows of `data/corrupted/manifest.csv`, each
model's `plots/train_<model>/predictions.csv` (same rows, same order) and the thresholds of
`metrics/threshold_sweep.json`. Prints a markdown table: per corruption, the accuracy of each model
in bands of intensity / threshold (below 1 the label rule says `original`), with the band's count,
and the share of each model's test errors that fall in each band.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import pandas as pd

from usqc.error_bands import BANDS, band_table, near_threshold


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=Path("data/corrupted"))
    parser.add_argument("--sweep-metrics", type=Path, default=Path("metrics/threshold_sweep.json"))
    parser.add_argument("--plots", type=Path, default=Path("plots"), help="holds train_<model>/predictions.csv")
    parser.add_argument("--models", nargs="+", default=["vgg16", "xception", "baseline"])
    args = parser.parse_args()

    try:
        manifest = pd.read_csv(args.data / "manifest.csv")
        thresholds = {k: v["floor"] for k, v in json.loads(args.sweep_metrics.read_text())["thresholds"].items()}
        tables = {m: pd.read_csv(args.plots / f"train_{m}" / "predictions.csv") for m in args.models}
    except (OSError, KeyError, ValueError) as exc:
        raise SystemExit(f"errors_by_intensity: pipeline outputs unreadable ({exc}); run dvc repro first") from None
    test = manifest[manifest["split"] == "test"].reset_index(drop=True)
    predicted = {}
    for m, table in tables.items():
        if not np.array_equal(table["actual"].to_numpy(), test["label"].to_numpy()):
            raise SystemExit(f"{m}: predictions do not match {args.data}'s test rows; run dvc repro first")
        predicted[m] = table["predicted"].to_numpy()
    print(f"thresholds: {thresholds}; test images: {len(test)}")
    print(band_table(test, predicted, thresholds).to_markdown(index=False))
    near = near_threshold(test, thresholds)
    for m, p in predicted.items():
        right = p == test["label"].to_numpy()
        print(
            f"{m}: accuracy {right.mean():.3f}; {near.mean():.0%} of the test images lie within "
            f"[{BANDS[1]:g}, {BANDS[3]:g}) x a threshold: accuracy {right[near].mean():.3f} there, "
            f"{right[~near].mean():.3f} elsewhere; {(~right & near).sum() / max((~right).sum(), 1):.0%} of the errors"
        )


if __name__ == "__main__":
    main()
