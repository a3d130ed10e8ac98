"""On-disk image sets: uint8 arrays in `images.npy` (memory-mappable) plus `manifest.csv`."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pandas as pd

IMAGES = "images.npy"
MANIFEST = "manifest.csv"


def create_images(folder: Path, count: int, size: int) -> np.memmap:
    """A writable (count, size, size) uint8 memmap: rows are filled as images arrive."""
    folder.mkdir(parents=True, exist_ok=True)
    return np.lib.format.open_memmap(folder / IMAGES, mode="w+", dtype=np.uint8, shape=(count, size, size))


def open_images(folder: str | Path) -> np.ndarray:
    return np.load(Path(folder) / IMAGES, mmap_mode="r")


def read_manifest(folder: str | Path) -> pd.DataFrame:
    return pd.read_csv(Path(folder) / MANIFEST, dtype={"image_id": str, "group_id": str})


def write_manifest(folder: Path, manifest: pd.DataFrame) -> None:
    manifest.to_csv(folder / MANIFEST, index=False, float_format="%.6g")


def pixel_sha256(image: np.ndarray) -> str:
    return hashlib.sha256(np.ascontiguousarray(image).tobytes()).hexdigest()
