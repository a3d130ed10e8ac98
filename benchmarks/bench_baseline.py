"""The baseline's feature extraction against the same with its dark-and-flat mask by a median filter.

    python benchmarks/bench_baseline.py [--n 1000]

`usqc.baseline.dark_median` counts dark pixels per 5x5 window, where the features once took
`ndimage.median_filter(x, 5) < DARK` (the same mask: equal features, checked on every image). Phantom views at
72 px, as `train_baseline`, `ssim_eval` and `real_eval` extract them. Prints images/s and the ratio.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from scipy import ndimage

from usqc import baseline, phantom
from usqc.corrupted_sets import originals_at
from usqc.imageio import resize_square


def median_mask(x: np.ndarray) -> np.ndarray:
    return ndimage.median_filter(x, 5) < baseline.DARK


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1000)
    args = parser.parse_args()
    sources = np.stack([resize_square(phantom.generate(p, k, seed=0), 224) for p in phantom.PLANES for k in range(8)])
    images = originals_at(sources, 72)[np.arange(args.n) % len(sources)]
    start = time.perf_counter()
    counted = baseline.features(images)
    counting = time.perf_counter() - start
    start = time.perf_counter()
    filtered = np.stack([_with_median_mask(gray) for gray in images])
    median = time.perf_counter() - start
    assert np.array_equal(counted, filtered), "the two masks gave different features"
    print(f"features, median-filter mask: {args.n / median:.0f} images/s")
    print(f"features, counted mask:       {args.n / counting:.0f} images/s ({median / counting:.2f}x)")


def _with_median_mask(gray: np.ndarray) -> np.ndarray:
    x = gray.astype(np.float64) / 255
    counted = baseline.dark_median
    baseline.dark_median = lambda dark: median_mask(x)
    try:
        return baseline.image_features(gray)
    finally:
        baseline.dark_median = counted


if __name__ == "__main__":
    main()
