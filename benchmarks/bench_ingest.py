"""Ingest throughput and memory on a FETAL_PLANES_DB-layout folder at the database's image sizes.

    python benchmarks/bench_ingest.py [--images 2000] [--workers 2] [--keep DIR]

Writes `--images` PNGs (about 800-1100 x 550-750 px like the database's, one in ten RGBA, with
pixel noise so they compress like real scans rather than like smooth drawings) and the CSV with
the database's header, then times, in this process:
  baseline  decoding every PNG with Pillow, one after another (no resize, nothing written);
  ingest    the stage's path: list the CSV, decode + gray + resize to 224 in `--workers`
            processes, hash, stream to images.npy, build the manifest.
Prints images/s of both, their ratio, and peak resident memory (this process and the largest
worker) after a quarter of the set and after all of it: equal peaks mean memory does not grow
with the data set. Run it on a quiet machine.
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

from usqc import dataset, phantom
from usqc.ingest import build_manifest, load_into
from usqc.sources import FPDB_CSV, fetal_planes_db_items

if __package__ in (None, ""):  # run as a script: the repository root holds the helper
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from benchmarks.memory import DescendantPeak  # noqa: E402

SIZES = ((959, 661), (1049, 744), (806, 561), (1105, 747), (878, 620))
HEADER = "Image_name;Patient_num;Plane;Brain_plane;Operator;US_Machine;Train "
BRAIN = ("Trans-thalamic", "Trans-cerebellum", "Trans-ventricular")


def write_image(job: tuple[Path, int]) -> None:
    folder, k = job
    width, height = SIZES[k % len(SIZES)]
    image = cv2.resize(phantom.generate(phantom.PLANES[k % 3], k, seed=5), (width, height))
    noisy = np.clip(image.astype(np.int16) + np.random.default_rng(k).integers(-6, 7, image.shape), 0, 255)
    image = noisy.astype(np.uint8)
    if k % 10 == 0:
        image = np.dstack([image, image, image, np.full_like(image, 255)])
    Image.fromarray(image).save(folder / "Images" / f"Patient{k // 3:05d}_Plane3_{k % 3 + 1}_of_3.png")


def make_database(root: Path, n: int, workers: int) -> None:
    (root / "Images").mkdir(parents=True, exist_ok=True)
    with ProcessPoolExecutor(workers) as pool:
        list(pool.map(write_image, [(root, k) for k in range(n)], chunksize=16))
    name = "Patient{:05d}_Plane3_{}_of_3;{};Fetal brain;{};Op. 1;Voluson E6;{}"
    rows = [name.format(k // 3, k % 3 + 1, k // 3, BRAIN[k % 3], int(k % 5 != 0)) for k in range(n)]
    (root / FPDB_CSV).write_text("\n".join([HEADER, *rows]) + "\n")


def measured_ingest(root: Path, out: Path, workers: int, limit: int | None = None) -> tuple[int, float, float]:
    """(images, peak RSS of this process, of the largest worker) in MiB, for one ingest."""
    with DescendantPeak() as peak:
        n = ingest(root, out, workers, limit)
    return n, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, peak.largest_mib


def ingest(root: Path, out: Path, workers: int, limit: int | None = None) -> int:
    planes = ("BPD", "CRL", "NT")
    class_map = dict(zip(BRAIN, planes, strict=True))
    items, _ = fetal_planes_db_items(root, planes, "Brain_plane", class_map, preset_split=True)
    items = items[:limit] if limit else items
    with dataset.ImageWriter(out, len(items), 224) as writer:
        loaded = load_into(items, writer, 224, workers)
    dataset.write_manifest(out, build_manifest(loaded.items, loaded.digests, 0.2, 0))
    return len(loaded.items)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--images", type=int, default=2000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--keep", type=Path, help="build the database here (and reuse it if present)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = args.keep or Path(tmp) / "db"
        if not (root / FPDB_CSV).exists():
            t0 = time.perf_counter()
            make_database(root, args.images, args.workers)
            print(f"wrote {args.images} PNGs in {time.perf_counter() - t0:.0f} s")
        paths = sorted((root / "Images").glob("*.png"))

        t0 = time.perf_counter()
        for path in paths:
            with Image.open(path) as image:
                image.load()
        baseline = time.perf_counter() - t0

        _, *quarter_peaks = measured_ingest(root, Path(tmp) / "quarter", args.workers, limit=len(paths) // 4)
        t0 = time.perf_counter()
        n, *full_peaks = measured_ingest(root, Path(tmp) / "clean", args.workers)
        seconds = time.perf_counter() - t0

    print(f"{n} images, {args.workers} workers")
    print(f"baseline, Pillow decode only, 1 process: {len(paths) / baseline:6.1f} images/s")
    print(f"ingest (list, decode, gray, resize, hash, write): {n / seconds:6.1f} images/s")
    print(f"ratio ingest / baseline time: {seconds / baseline:.2f}x")
    for count, (main_mib, worker_mib) in ((len(paths) // 4, quarter_peaks), (n, full_peaks)):
        print(f"peak RSS after {count} images: main {main_mib:.0f} MiB, largest worker {worker_mib:.0f} MiB")


if __name__ == "__main__":
    main()
