"""`usqc clean` throughput with the reference model, against inference alone in the same process.

    python benchmarks/bench_clean.py [--model models/xception.keras] [--images 512] [--batch-size 64]

Writes `--images` phantom PNGs at the thesis' raw size (337 x 227) into a temporary folder, then
times (1) the baseline: `predict` on the same images already decoded and resized in memory, and
(2) the whole `usqc clean` path: find, decode, resize, predict, decide, write the report. Prints
images/s of both and their ratio (the cost of reading files and the rest of the tool).
Do not run it while another heavy job shares the machine.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

from usqc import phantom
from usqc.calibration import predict_guarded
from usqc.clean import DEFAULT_PATTERNS, classify, decide, find_images, model_view
from usqc.saved_models import load_classifier
from usqc.training import predict


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", type=Path, default=Path("models/xception.keras"))
    parser.add_argument("--images", type=int, default=512)
    parser.add_argument("--batch-size", type=int, default=64)
    args = parser.parse_args()

    model = load_classifier(args.model)
    size = model.input_shape[1]
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp)
        for i in range(args.images):
            plane = phantom.PLANES[i % 3]
            Image.fromarray(phantom.generate(plane, i, seed=9)).save(src / f"{plane}_{i:05d}.png")
        paths = find_images(src, DEFAULT_PATTERNS, recursive=False)
        views = np.stack([model_view(p, 224, size) for p in paths])
        predict(model, views[: args.batch_size], args.batch_size)  # warm-up: graph tracing

        t0 = time.perf_counter()
        predict(model, views, args.batch_size)
        baseline = time.perf_counter() - t0

        t0 = time.perf_counter()
        predict_guarded(model, views, args.batch_size)
        guarded = time.perf_counter() - t0

        t0 = time.perf_counter()
        table = classify(paths, src, lambda x: predict_guarded(model, x, args.batch_size), 224, size, args.batch_size)
        table["decision"] = decide(table, 0.5)
        table.to_csv(src / "report.csv", index=False)
        tool = time.perf_counter() - t0

    n = args.images
    print(f"model {args.model} ({size} px), {n} PNGs of 337 x 227, batch {args.batch_size}")
    print(f"baseline, predict on decoded arrays: {n / baseline:7.1f} images/s")
    print(f"predict with the domain guard on decoded arrays: {n / guarded:7.1f} images/s ({guarded / baseline:.2f}x)")
    print(f"usqc clean (read + resize + predict + guard + report): {n / tool:7.1f} images/s")
    print(f"ratio clean / baseline time: {tool / baseline:.2f}x")


if __name__ == "__main__":
    main()
