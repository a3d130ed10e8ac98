"""On-disk image sets: uint8 arrays in `images.npy` plus `manifest.csv`, one row per image.

Images are written and read sequentially with plain file I/O rather than through a memory map:
mapped pages count towards a process's resident memory, so a memmap-based stage would grow with
the data set. Readers that want random access can still `np.load(..., mmap_mode="r")`.
"""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

import numpy as np
import pandas as pd

from usqc.errors import UsqcError

IMAGES = "images.npy"
MANIFEST = "manifest.csv"
UNLABELLED = "unlabelled"  # the plane of images without a plane label (ingest_unlabelled's)


class ImageWriter:
    """Append (size, size) uint8 images to a .npy file of at most `count` images.

    Closing with fewer written (files skipped or dropped on the way) rewrites the header's length.
    """

    def __init__(self, folder: Path, count: int, size: int):
        folder.mkdir(parents=True, exist_ok=True)
        self.count, self.shape, self.written = count, (size, size), 0
        self._file = open(folder / IMAGES, "wb")  # noqa: SIM115 - closed in close()
        self._file.write(self._header(count))

    def _header(self, count: int) -> bytes:
        header = io.BytesIO()
        fields = {"descr": "|u1", "fortran_order": False, "shape": (count, *self.shape)}
        np.lib.format.write_array_header_1_0(header, fields)
        return header.getvalue()

    def append(self, images: np.ndarray) -> None:
        images = np.asarray(images, dtype=np.uint8).reshape(-1, *self.shape)
        if self.written + len(images) > self.count:
            raise ValueError(f"more than the {self.count} images declared")
        self._file.write(np.ascontiguousarray(images).tobytes())
        self.written += len(images)

    def close(self) -> None:
        if self.written != self.count:
            header = self._header(self.written)
            if len(header) != len(self._header(self.count)):  # padded to 64 bytes: only near a boundary
                raise ValueError(f"cannot shrink the header from {self.count} to {self.written} images")
            self._file.seek(0)
            self._file.write(header)
        self._file.close()

    def __enter__(self):
        return self

    def __exit__(self, exc_type, *exc):
        if exc_type is None:
            self.close()
        else:
            self._file.close()
        return False


def open_images(folder: str | Path) -> np.ndarray:
    """Read-only memory map of a set: random access without loading it."""
    return np.load(Path(folder) / IMAGES, mmap_mode="r")


def read_images(folder: str | Path, start: int, stop: int) -> np.ndarray:
    """Rows start..stop-1 by plain reads (no mapping, so resident memory stays bounded)."""
    path = Path(folder) / IMAGES
    with open(path, "rb") as f:
        version = np.lib.format.read_magic(f)
        read_header = np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
        shape, _, dtype = read_header(f)
        row = int(np.prod(shape[1:])) * dtype.itemsize
        f.seek(row * start, 1)
        data = f.read(row * (stop - start))
    return np.frombuffer(data, dtype=dtype).reshape(-1, *shape[1:])


def require(folder: Path, producer: str) -> pd.DataFrame:
    """The manifest of the data set in `folder`, or one line naming the stage that makes it."""
    if not (Path(folder) / MANIFEST).exists():
        raise UsqcError(f"{folder}: no data set here; run the {producer} stage first (dvc repro {producer})")
    return read_manifest(folder)


def read_manifest(folder: str | Path) -> pd.DataFrame:
    return pd.read_csv(Path(folder) / MANIFEST, dtype={"image_id": str, "group_id": str, "source_id": str})


def write_manifest(folder: Path, manifest: pd.DataFrame) -> None:
    manifest.to_csv(folder / MANIFEST, index=False, float_format="%.6g")


def pixel_sha256(image: np.ndarray) -> str:
    return hashlib.sha256(np.ascontiguousarray(image).tobytes()).hexdigest()
