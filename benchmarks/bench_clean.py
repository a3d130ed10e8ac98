"""`usqc clean` throughput with the reference model, against inference alone in the same process.

    python benchmarks/bench_clean.py [--model models/xception.keras] [--images 512] [--batch-size 64]
                                     [--raw-size 337 227] [--readers N] [--images-from DIR]

Writes `--images` phantom PNGs at `--raw-size` (default the thesis' raw size, 337 x 227; HC18's
scans are 800 x 540), or copies of the images of `--images-from` in turn, into a temporary folder,
then times (1) the baseline: `predict` on the same images already decoded and resized in memory,
and (2) the whole `usqc clean` path: find, decode, resize, predict, decide, write the report, with
the files read in turn (`--readers 0`) and with reader threads one batch ahead of the model (the
same report, checked), each twice, alternated, the best of two counted. Prints images/s and ratios.
Do not run it while another heavy job shares the machine.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
from PIL import Image

from usqc import phantom
from usqc.calibration import predict_guarded
from usqc.clean import DEFAULT_PATTERNS, READERS, classify, decide, find_images, model_view
from usqc.saved_models import load_classifier
from usqc.training import predict


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", type=Path, default=Path("models/xception.keras"))
    parser.add_argument("--images", type=int, default=512)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--raw-size", type=int, nargs=2, default=(337, 227), metavar=("WIDTH", "HEIGHT"))
    parser.add_argument("--readers", type=int, default=READERS)
    parser.add_argument("--images-from", type=Path, metavar="DIR", help="copy these images, in turn, instead")
    args = parser.parse_args()

    model = load_classifier(args.model)
    size = model.input_shape[1]
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp)
        given = find_images(args.images_from, DEFAULT_PATTERNS, recursive=True) if args.images_from else []
        for i in range(args.images):
            if given:
                shutil.copy(given[i % len(given)], src / f"{i:05d}_{given[i % len(given)].name}")
                continue
            plane = phantom.PLANES[i % 3]
            raw = Image.fromarray(phantom.generate(plane, i, seed=9)).resize(args.raw_size, Image.BILINEAR)
            raw.save(src / f"{plane}_{i:05d}.png")
        paths = find_images(src, DEFAULT_PATTERNS, recursive=False)
        views = np.stack([model_view(p, 224, size) for p in paths])
        predict(model, views[: args.batch_size], args.batch_size)  # warm-up: graph tracing

        t0 = time.perf_counter()
        predict(model, views, args.batch_size)
        baseline = time.perf_counter() - t0

        t0 = time.perf_counter()
        predict_guarded(model, views, args.batch_size)
        guarded = time.perf_counter() - t0

        def clean(readers: int) -> tuple[float, pd.DataFrame]:
            t0 = time.perf_counter()
            table = classify(paths, src, lambda x: predict_guarded(model, x, args.batch_size), 224, size,
                             args.batch_size, readers=readers)  # fmt: skip
            table["decision"] = decide(table, 0.5)
            table.to_csv(src / "report.csv", index=False)
            return time.perf_counter() - t0, table

        runs = [clean(readers) for _ in range(2) for readers in (0, args.readers)]  # alternated: no order bias
        for _, table in runs[1:]:
            pd.testing.assert_frame_equal(runs[0][1], table)
        in_turn, ahead = (min(t for t, _ in runs[i::2]) for i in (0, 1))

    n = args.images
    width, height = args.raw_size
    files = f"copies of {args.images_from}'s images" if args.images_from else f"PNGs of {width} x {height}"
    print(f"model {args.model} ({size} px), {n} {files}, batch {args.batch_size}")
    print(f"baseline, predict on decoded arrays: {n / baseline:7.1f} images/s")
    print(f"predict with the domain guard on decoded arrays: {n / guarded:7.1f} images/s ({guarded / baseline:.2f}x)")
    print(f"usqc clean, files read in turn (--readers 0): {n / in_turn:7.1f} images/s")
    print(f"usqc clean, {args.readers} reader threads one batch ahead: {n / ahead:7.1f} images/s "
          f"({in_turn / ahead:.2f}x the rate read in turn; the same report)")  # fmt: skip
    print(f"ratio clean / baseline time: {ahead / baseline:.2f}x (read in turn: {in_turn / baseline:.2f}x)")


if __name__ == "__main__":
    main()
