"""Phantom throughput per core at native size, and whether brightness statistics leak the plane.

    python benchmarks/bench_phantom.py [--images 60] [--leak-images 100]

Prints images/s on one core (OpenCV single-threaded, one process), the share of time in each
step, the ratio against a speckle-only baseline timed in the same process (random field plus
one Gaussian blur of the same polar size: the irreducible cost), and the 5-fold accuracy of a
logistic regression on 32-bin intensity histograms (chance = 1/3; above 0.8 means the phantom
leaks the plane through global statistics).
"""

from __future__ import annotations

import argparse
import time

import cv2
import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from usqc import phantom


def timed_steps(n: int, seed: int = 0) -> dict[str, float]:
    steps = dict.fromkeys(("anatomy", "echo", "display"), 0.0)
    for i in range(n):
        t0 = time.perf_counter()
        draw, labels = phantom.anatomy_step(phantom.PLANES[i % 3], i, seed, phantom.DEFAULT_SCANNER)
        t1 = time.perf_counter()
        env = phantom.echo_step(draw, labels)
        t2 = time.perf_counter()
        phantom.display_step(draw, env)
        t3 = time.perf_counter()
        for key, dt in zip(steps, (t1 - t0, t2 - t1, t3 - t2), strict=True):
            steps[key] += dt
    return steps


def speckle_baseline(n: int, shape=(1200, 360)) -> float:
    rng = np.random.default_rng(0)
    t0 = time.perf_counter()
    for _ in range(n):
        field = rng.standard_normal((*shape, 2), dtype=np.float32)
        cv2.GaussianBlur(field, (0, 0), 1.5)
    return time.perf_counter() - t0


def histogram_leak(per_plane: int, seed: int = 1) -> float:
    features, labels = [], []
    for k, plane in enumerate(phantom.PLANES):
        for i in range(per_plane):
            image = phantom.generate(plane, i, seed)
            features.append(np.histogram(image, bins=32, range=(0, 256))[0] / image.size)
            labels.append(k)
    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000))
    return float(cross_val_score(model, np.array(features), np.array(labels), cv=5).mean())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--images", type=int, default=60)
    parser.add_argument("--leak-images", type=int, default=100, help="per plane; 0 skips the leak check")
    args = parser.parse_args()
    cv2.setNumThreads(1)
    phantom.generate("BPD", 0, 0)  # warm-up: imports, first allocations

    steps = timed_steps(args.images)
    total = sum(steps.values())
    baseline = speckle_baseline(args.images)
    rows, cols = phantom.NATIVE_SHAPE
    print(f"phantom: {args.images / total:.1f} images/s on one core at {cols}x{rows}")
    print("  " + ", ".join(f"{k} {v / total:.0%}" for k, v in steps.items()))
    print(f"  ratio to speckle-only baseline ({args.images / baseline:.1f} fields/s): {total / baseline:.2f}x the time")
    print(f"  ratio to the 20 images/s floor: {args.images / total / 20:.2f}")
    if args.leak_images:
        accuracy = histogram_leak(args.leak_images)
        print(
            f"histogram leak: logistic regression on 32-bin histograms, 5-fold accuracy {accuracy:.3f} (chance 0.333)"
        )


if __name__ == "__main__":
    main()
