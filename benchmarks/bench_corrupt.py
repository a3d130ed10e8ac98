"""The corrupt stage against a faithful re-implementation of the thesis loop (§4.2).

    python benchmarks/bench_corrupt.py [--n 542]

(a) thesis loop: one process; per image the float64 skimage median with a disk, random_noise,
    cv2.merge to three channels and Python lists holding everything in RAM (plus SSIM per copy,
    so both sides do the same work);
(b) the stage's code path (usqc.corrupt.write_corrupted): uint8 rank median, streaming writes,
    a process pool over every core.
Each runs in its own subprocess at N and 4N source images, so its peak RSS is its own. Prints
images/s, the speed ratio, RSS growth from N to 4N, and the largest per-image SSIM difference
between the two implementations for the same intensities.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np
import pandas as pd
import skimage.util
from skimage.filters import median
from skimage.metrics import structural_similarity
from skimage.morphology import disk

from usqc import corruptions as C
from usqc import dataset
from usqc.corrupt import Plan, Source, write_corrupted
from usqc.ingest import build_manifest, load_into
from usqc.params import ThesisSampling
from usqc.similarity import ssim
from usqc.sources import phantom_items

if __package__ in (None, ""):  # run as a script: the repository root holds the helper
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from benchmarks.memory import DescendantPeak  # noqa: E402

SIZE, CROP, RADIUS, SIGMAS = 174, (75, 100), (1, 10), (0.1, 0.2, 0.3, 0.4, 0.5)


def thesis_loop(images: np.ndarray) -> None:
    """The thesis' loop body (with its crop bug fixed to the intended rule), lists in RAM."""
    random.seed(0)
    images_orig, y_orig, images_mod, y_mod = [], [], [], []
    for clean in images:
        im_orig = clean / 255.0  # the thesis reads float images with imread(as_gray=True)
        crops = []
        for _ in range(2):
            a = random.randint(25, 75)
            crops.append((a, random.randint(75, 100) - a))
        im_crop = skimage.util.crop(im_orig, tuple(crops))
        im_orig = cv2.resize(im_orig, (SIZE, SIZE))
        im_crop = cv2.resize(im_crop, (SIZE, SIZE))
        img_med = median(im_orig, disk(random.randint(1, 10)))
        noisy = skimage.util.random_noise(im_orig, var=(random.randint(1, 5) / 10.0) ** 2)
        for copy in (im_crop, img_med, noisy):
            structural_similarity(im_orig, copy, data_range=1.0)
        images_orig.append(cv2.merge((im_orig, im_orig, im_orig)))
        images_mod += [cv2.merge((m, m, m)) for m in (im_crop, img_med, noisy)]
        y_orig.append(0)
        y_mod += [1, 2, 3]


def make_clean(folder: Path, n: int, repeat: int) -> None:
    """n phantom images, written `repeat` times over (content does not matter for speed or RSS)."""
    items = phantom_items(("BPD", "CRL", "NT"), -(-n // 3), seed=0)[:n]
    with dataset.ImageWriter(folder / "base", n, 224) as writer:
        loaded = load_into(items, writer, 224, os.cpu_count() or 1)
    pixels = dataset.read_images(folder / "base", 0, n)
    manifest = build_manifest(loaded.items, loaded.digests, 0.2, 0)
    with dataset.ImageWriter(folder, n * repeat, 224) as writer:
        for _ in range(repeat):
            writer.append(pixels)
    copies = [manifest.assign(image_id=manifest.image_id + f"_{k}") for k in range(repeat)]
    dataset.write_manifest(folder, pd.concat(copies, ignore_index=True))


def child(mode: str, clean: Path) -> None:
    """Run one implementation and print its time and peak RSS (MiB) as JSON."""
    start = time.perf_counter()
    with DescendantPeak() as peak:
        if mode == "thesis":
            thesis_loop(dataset.read_images(clean, 0, len(dataset.read_manifest(clean))))
        else:
            plan = Plan(0, SIZE, ThesisSampling(CROP, False, RADIUS, SIGMAS))  # the thesis' sampling, as its loop
            with tempfile.TemporaryDirectory() as out:
                sources = [Source(clean, dataset.read_manifest(clean), 1)]
                write_corrupted(sources, plan, Path(out), os.cpu_count() or 1)
    seconds = time.perf_counter() - start
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    workers = peak.largest_mib
    print(json.dumps({"seconds": seconds, "rss_main": own, "rss_worker": workers}))


def run_child(mode: str, clean: Path) -> dict:
    out = subprocess.run(
        [sys.executable, __file__, "--child", mode, str(clean)], capture_output=True, text=True, check=True
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def ssim_agreement(clean: Path, n: int) -> dict[str, float]:
    """Largest |SSIM(stage) - SSIM(thesis code)| over n images at the same intensities."""
    rng = np.random.default_rng(0)
    worst = dict.fromkeys(C.LABELS[1:], 0.0)
    for image in dataset.read_images(clean, 0, n):
        f = C.to_float(image)
        crops = C.thesis_crops(rng, CROP)
        radius, sigma = int(rng.integers(1, 11)), float(rng.choice(SIGMAS))
        theirs_orig = cv2.resize(image / 255.0, (SIZE, SIZE))
        theirs = {
            "scale_up": cv2.resize(skimage.util.crop(image / 255.0, crops), (SIZE, SIZE)),
            "blur": median(theirs_orig, disk(radius)),
            "noise": skimage.util.random_noise(theirs_orig, var=sigma**2, rng=1),
        }
        ours_orig = C.to_float(C.to_uint8(C.resize(f, SIZE)))
        ours = {
            "scale_up": C.crop_resize(f, crops, SIZE),
            "blur": C.REGISTRY["blur"].apply(f, radius, rng, SIZE),
            "noise": C.REGISTRY["noise"].apply(f, sigma, np.random.default_rng(1), SIZE),
        }
        for label in worst:
            a = structural_similarity(theirs_orig, theirs[label], data_range=1.0)
            b = ssim(ours_orig, C.to_float(C.to_uint8(ours[label])))
            worst[label] = max(worst[label], abs(a - b))
    return worst


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=542)
    parser.add_argument("--child", nargs=2, metavar=("MODE", "CLEAN"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return child(args.child[0], Path(args.child[1]))
    with tempfile.TemporaryDirectory() as tmp:
        small, large = Path(tmp, "n"), Path(tmp, "4n")
        make_clean(small, args.n, 1)
        make_clean(large, args.n, 4)
        results = {
            (mode, k): run_child(mode, folder)
            for mode in ("thesis", "stage")
            for k, folder in (("N", small), ("4N", large))
        }
        agreement = ssim_agreement(small, min(args.n, 100))
    thesis, ours = results["thesis", "N"], results["stage", "N"]
    print(f"N = {args.n} source images, {os.cpu_count()} cores")
    print(f"thesis loop: {args.n / thesis['seconds']:.1f} images/s   stage: {args.n / ours['seconds']:.1f} images/s")
    print(f"speed-up: {thesis['seconds'] / ours['seconds']:.1f}x")
    for mode in ("thesis", "stage"):
        n, n4 = results[mode, "N"], results[mode, "4N"]
        growth = n4["rss_main"] / n["rss_main"]
        line = f"{mode} peak RSS: N {n['rss_main']:.0f} MiB, 4N {n4['rss_main']:.0f} MiB ({growth:.2f}x)"
        if mode == "stage":
            line += f"; largest worker: N {n['rss_worker']:.0f} MiB, 4N {n4['rss_worker']:.0f} MiB"
        print(line)
    print("max |SSIM(stage) - SSIM(thesis)| per label: " + ", ".join(f"{k} {v:.4f}" for k, v in agreement.items()))


if __name__ == "__main__":
    main()
