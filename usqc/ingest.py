"""Ingest: clean square grayscale images, their manifest, and the grouped train/test split."""

from __future__ import annotations

import json
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import cv2
import pandas as pd
from tqdm import tqdm

from usqc import dataset, sources
from usqc.imageio import resize_square
from usqc.params import BaseParams, IngestParams
from usqc.split import grouped_split


def list_items(base: BaseParams, params: IngestParams) -> list:
    if params.source == "phantom":
        return sources.phantom_items(params.planes, params.images_per_plane, base.seed)
    return sources.folder_items(params.folder, params.planes)


def _clean_pixels(job: tuple[object, int]):
    item, size = job
    return resize_square(item.pixels(), size)


def _single_threaded_cv2() -> None:
    cv2.setNumThreads(1)  # one process per core already; avoid oversubscription


def load_into(items: Sequence, images, size: int, workers: int) -> list[str]:
    """Fill `images` row by row (streaming, in item order); return each image's pixel sha256."""
    jobs = ((item, size) for item in items)
    digests = []
    with ProcessPoolExecutor(workers, initializer=_single_threaded_cv2) if workers > 1 else _Serial() as pool:
        for row, pixels in enumerate(
            tqdm(pool.map(_clean_pixels, jobs, chunksize=4), total=len(items), desc="ingest", disable=None)
        ):
            images[row] = pixels
            digests.append(dataset.pixel_sha256(pixels))
    images.flush()
    return digests


class _Serial:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    @staticmethod
    def map(fn, jobs, chunksize=1):
        return map(fn, jobs)


def build_manifest(items: Sequence, digests: list[str], test_fraction: float, seed: int) -> pd.DataFrame:
    groups = [item.group_id for item in items]
    planes = [item.plane for item in items]
    return pd.DataFrame(
        {
            "image_id": [item.image_id for item in items],
            "group_id": groups,
            "plane": planes,
            "split": grouped_split(groups, planes, test_fraction, seed),
            "sha256": digests,
        }
    )


def summary(manifest: pd.DataFrame) -> dict:
    per_plane = manifest.groupby(["plane", "split"]).size().unstack(fill_value=0)
    return {
        "images": int(len(manifest)),
        "groups": int(manifest["group_id"].nunique()),
        "split": {s: int((manifest["split"] == s).sum()) for s in ("train", "test")},
        "planes": {
            plane: {s: int(per_plane.loc[plane].get(s, 0)) for s in ("train", "test")} for plane in per_plane.index
        },
    }


def write_metrics(path: Path, metrics: dict) -> None:
    path.write_text(json.dumps(metrics, indent=2, sort_keys=True) + "\n")
