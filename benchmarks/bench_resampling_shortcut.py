"""Does scale_up leave a resampling shortcut? Originals against copies that were only resampled.

    python benchmarks/bench_resampling_shortcut.py [--sizes 174 72] [--images 150] [--seed 7]
                                                   [--json results/resampling_shortcut.json]

In the thesis an original is downsampled 224 -> 174 px, while a scale_up crop (137-192 px of 224
for 0.27-0.63 of the area lost) is upsampled to 174: interpolation traces alone could give the
class away, whatever the content. Here every clean view gives an original (224 -> size, as
`corrupt` makes it) and a copy brought to the side of a crop (an area average) and then resized
to size as a crop would be, with nothing cut away: the same content, only the resampling differs.
The classical baseline's features (usqc.baseline) and gradient-boosted trees learn original
against resampled on one part and are scored on the other (balanced accuracy, 95 % Wilson
interval; 0.5: no shortcut), at each size: 174 px (the thesis) and 72 px (the reference profile,
where the crops are downsampled too).
Two sources: phantom views (`--images` per plane, one patient each, half to each part) and the
shipped HC18 sample (real-train part against real-eval part, split by subject).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import cv2
import numpy as np
from sklearn.ensemble import HistGradientBoostingClassifier

from usqc import corruptions as C
from usqc.baseline import features
from usqc.corrupted_sets import originals_at
from usqc.intervals import wilson

if __package__ in (None, ""):  # run as a script: the repository root holds the helpers
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from benchmarks.bench_realism import CLEAN_SIZE, phantom_views, real_views  # noqa: E402

PLANES = ("BPD", "CRL", "NT")


def resampled_copies(clean: np.ndarray, size: int, area_lost: tuple[float, float], rng) -> np.ndarray:
    """Each clean view brought to the side of a crop losing a uniform draw of `area_lost`, then
    resized to `size` by corrupt's bilinear resize: the last step of a scale_up, at its ratio,
    without the crop. The first step is an area average, an ideal change of resolution that
    leaves no aliasing of its own, so that only the last step's trace tells the copy apart."""
    sides = np.round(CLEAN_SIZE * np.sqrt(1.0 - rng.uniform(*area_lost, len(clean)))).astype(int)
    coarser = [
        cv2.resize(C.to_float(v), (int(n), int(n)), interpolation=cv2.INTER_AREA)
        for v, n in zip(clean, sides, strict=True)
    ]
    return np.stack([C.to_uint8(C.resize(v, size)) for v in coarser])


def shortcut_accuracy(fit: np.ndarray, test: np.ndarray, size: int, area_lost, seed: int) -> dict:
    """Balanced accuracy of original-vs-resampled on `test` after learning it on `fit` (clean views)."""
    rng = np.random.default_rng((seed, size))

    def labelled(clean: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        views = np.concatenate([originals_at(clean, size), resampled_copies(clean, size, area_lost, rng)])
        return features(views), np.repeat([0, 1], len(clean))

    (x_fit, y_fit), (x_test, y_test) = labelled(fit), labelled(test)
    model = HistGradientBoostingClassifier(max_iter=200, learning_rate=0.1, random_state=seed).fit(x_fit, y_fit)
    correct = int((model.predict(x_test) == y_test).sum())  # both classes equal in number: accuracy is balanced
    low, high = wilson(correct, len(y_test))
    return {
        "accuracy": round(correct / len(y_test), 3),
        "ci": [round(low, 3), round(high, 3)],
        "test_images": len(y_test),
    }


def phantom_parts(images: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    half = images // 2
    fit, test = zip(
        *((phantom_views(0, half, seed, plane), phantom_views(half, images - half, seed, plane)) for plane in PLANES),
        strict=True,
    )
    return np.concatenate(fit), np.concatenate(test)


def real_parts(folder: Path) -> tuple[np.ndarray, np.ndarray]:
    return tuple(np.stack(real_views(folder, part)[0]) for part in ("train", "eval"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[174, 72], help="model input sides to test")
    parser.add_argument("--images", type=int, default=150, help="phantom views per plane (half fit, half test)")
    parser.add_argument("--area-lost", type=float, nargs=2, default=[0.27, 0.63], help="scale_up's range")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--real", type=Path, default=Path("data/hc18"))
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args()

    sources = {"phantom": phantom_parts(args.images, args.seed), "hc18": real_parts(args.real)}
    results: dict = {"area_lost": args.area_lost, "sources": {}}
    for name, (fit, test) in sources.items():
        results["sources"][name] = {
            str(size): shortcut_accuracy(fit, test, size, tuple(args.area_lost), args.seed) for size in args.sizes
        }
        for size, r in results["sources"][name].items():
            shown = f"accuracy {r['accuracy']} {r['ci']}, {r['test_images']} test images"
            print(f"{name} at {size} px, originals against resampled-only copies: {shown}")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
