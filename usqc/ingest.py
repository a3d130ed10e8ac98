"""Ingest: clean square grayscale images, their manifest, and the grouped train/test split."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from tqdm import tqdm

from usqc import dataset, sources, streams
from usqc.duplicates import duplicate_sets, merge_groups
from usqc.errors import UsqcError
from usqc.fov import mask_outside_fov
from usqc.imageio import resize_square
from usqc.parallel import ordered_map
from usqc.params import BaseParams, IngestParams
from usqc.split import grouped_split

log = logging.getLogger(__name__)


def list_items(base: BaseParams, params: IngestParams) -> tuple[list, dict]:
    """The source's items, and counts of what the listing left out (fetal_planes_db only)."""
    if params.split == "source" and params.source != "fetal_planes_db":
        raise UsqcError(
            f"ingest.split: 'source' needs ingest.source: fetal_planes_db (got {params.source}); use grouped"
        )
    if params.source == "phantom":
        return sources.phantom_items(
            params.planes, params.phantom.images_per_plane, base.seed, params.phantom.scanner
        ), {}
    if params.source == "folder":
        return sources.folder_items(params.folder.path, params.planes), {}
    if params.source == "dicom":
        dicom = params.dicom
        return sources.dicom_items(dicom.path, params.planes, dicom.frames == "all", params.on_error == "skip")
    db = params.fetal_planes_db
    return sources.fetal_planes_db_items(
        db.path, params.planes, db.label_column, db.class_map,
        preset_split=params.split == "source", skip_missing=params.on_error == "skip",
    )  # fmt: skip


def clean_pixels(gray: np.ndarray, size: int, mask_fov: bool = False) -> np.ndarray:
    """What ingest stores of an 8-bit gray image: the field of view alone if asked, squared to `size`."""
    return resize_square(mask_outside_fov(gray) if mask_fov else gray, size)


def _clean_pixels(job: tuple[object, int, bool]) -> tuple[np.ndarray | None, str | None]:
    item, size, mask = job
    try:
        return clean_pixels(item.pixels(), size, mask), None
    except UsqcError as exc:
        return None, str(exc)


@dataclass
class Loaded:
    items: list  # those written, in order
    digests: list[str]  # pixel sha256 of each written image
    skipped: int = 0  # unreadable, left out (on_error: skip)
    dropped: int = 0  # pixel-identical to an earlier image, left out (duplicates: drop)


def load_into(
    items: Sequence,
    writer: dataset.ImageWriter,
    size: int,
    workers: int,
    mask_fov: bool = False,
    on_error: str = "fail",
    duplicates: str = "group",
) -> Loaded:
    """Append every item's clean image to `writer`, in item order.

    An unreadable item stops the run (on_error: fail) or is logged and left out (skip); with
    duplicates: drop, an image identical to an earlier one is left out.
    """
    loaded = Loaded([], [])
    seen: set[str] = set()
    results = ordered_map(_clean_pixels, ((item, size, mask_fov) for item in items), workers)
    for item, (pixels, error) in tqdm(zip(items, results, strict=True), total=len(items), desc="ingest", disable=None):
        if error is not None:
            if on_error == "fail":
                raise UsqcError(f"{error} (or set ingest.on_error: skip)")
            log.warning("skipped: %s", error)
            loaded.skipped += 1
            continue
        digest = dataset.pixel_sha256(pixels)
        if duplicates == "drop" and digest in seen:
            loaded.dropped += 1
            continue
        seen.add(digest)
        writer.append(pixels)
        loaded.items.append(item)
        loaded.digests.append(digest)
    if items and not loaded.items:
        raise UsqcError(f"none of the {len(items)} images could be read; see the warnings above")
    return loaded


def build_manifest(items: Sequence, digests: list[str], test_fraction: float, seed: int) -> pd.DataFrame:
    """One row per image. Groups sharing an identical image are merged first, so that no image is
    on both sides; a preset split (fetal_planes_db's own) then follows each group's first image."""
    groups = merge_groups([item.group_id for item in items], digests)
    planes = [item.plane for item in items]
    presets = [getattr(item, "split", None) for item in items]
    if all(presets):
        first = {}
        for group, preset in zip(groups, presets, strict=True):
            first.setdefault(group, preset)
        split = [first[group] for group in groups]
    else:
        split = grouped_split(groups, planes, test_fraction, streams.generator(seed, "split"))
    return pd.DataFrame(
        {
            "image_id": [item.image_id for item in items],
            "group_id": groups,
            "plane": planes,
            "split": split,
            "sha256": digests,
        }
    )


def summary(manifest: pd.DataFrame, loaded: Loaded | None = None, listed: dict | None = None) -> dict:
    """Counts for metrics/ingest.json: images, groups, split, per plane and split, duplicates,
    and what was left out (unreadable, dropped duplicates, rows of other classes)."""
    per_plane = manifest.groupby(["plane", "split"]).size().unstack(fill_value=0)
    duplicates = duplicate_sets(manifest["sha256"], manifest["plane"])
    duplicates["dropped"] = loaded.dropped if loaded else 0
    left_out = {"unreadable": loaded.skipped if loaded else 0, **(listed or {})}
    return {
        "duplicates": duplicates,
        "left_out": left_out,
        "images": int(len(manifest)),
        "groups": int(manifest["group_id"].nunique()),
        "split": {s: int((manifest["split"] == s).sum()) for s in ("train", "test")},
        "planes": {
            plane: {s: int(per_plane.loc[plane].get(s, 0)) for s in ("train", "test")} for plane in per_plane.index
        },
    }
