"""Ingest: clean square grayscale images, their manifest, and the grouped train/test split."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
from tqdm import tqdm

from usqc import dataset, sources
from usqc.imageio import resize_square
from usqc.parallel import ordered_map
from usqc.params import BaseParams, IngestParams
from usqc.split import grouped_split


def list_items(base: BaseParams, params: IngestParams) -> list:
    if params.source == "phantom":
        return sources.phantom_items(params.planes, params.images_per_plane, base.seed)
    return sources.folder_items(params.folder, params.planes)


def _clean_pixels(job: tuple[object, int]):
    item, size = job
    return resize_square(item.pixels(), size)


def load_into(items: Sequence, writer: dataset.ImageWriter, size: int, workers: int) -> list[str]:
    """Append every item's clean image to `writer`, in item order; return each pixel sha256."""
    digests = []
    results = ordered_map(_clean_pixels, ((item, size) for item in items), workers)
    for pixels in tqdm(results, total=len(items), desc="ingest", disable=None):
        writer.append(pixels)
        digests.append(dataset.pixel_sha256(pixels))
    return digests


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
