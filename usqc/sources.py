"""Where clean images come from: the embedded phantom or a user's folder.

A source lists lightweight, picklable items (id, group, plane and how to load the pixels) up
front, so that naming errors surface before any pixel is decoded, and loading can run in a pool.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from usqc import phantom
from usqc.errors import UsqcError
from usqc.imageio import IMAGE_SUFFIXES, read_gray


@dataclass(frozen=True)
class PhantomItem:
    image_id: str
    group_id: str
    plane: str
    index: int
    seed: int

    def pixels(self) -> np.ndarray:
        return phantom.generate(self.plane, self.index, self.seed)


@dataclass(frozen=True)
class FileItem:
    image_id: str
    group_id: str
    plane: str
    path: Path

    def pixels(self) -> np.ndarray:
        return read_gray(self.path)


def phantom_items(planes: tuple[str, ...], images_per_plane: int, seed: int) -> list[PhantomItem]:
    """One simulated patient per index, with one image of each plane: the patient is the group."""
    unknown = [p for p in planes if p not in phantom.PLANES]
    if unknown:
        raise UsqcError(
            f"ingest.planes: the phantom cannot make {', '.join(unknown)}; use a subset of {', '.join(phantom.PLANES)}"
        )
    return [
        PhantomItem(f"{plane}_{i:05d}", f"patient_{i:05d}", plane, i, seed)
        for plane in planes
        for i in range(images_per_plane)
    ]


_RENAME = "rename it (like BPD_001.png or BPD/001.png) or add the class to ingest.planes"


def _visible(folder: Path) -> list[Path]:
    return [p for p in sorted(folder.iterdir()) if not p.name.startswith(".")]


def _plane_of(name: str, planes: tuple[str, ...]) -> str | None:
    by_upper = {p.upper(): p for p in planes}
    return by_upper.get(name.upper())


def folder_items(folder: str | Path | None, planes: tuple[str, ...]) -> list[FileItem]:
    """Images of a folder laid out as CLASS_anything.png files, or as one sub-folder per class.

    Ids are derived from the class and the sorted order, never from file names, which may hold
    patient names. Each image is its own group.
    """
    if folder is None:
        raise UsqcError("ingest.folder is empty; set it to a folder of images (-S ingest.folder=PATH)")
    root = Path(folder)
    if not root.is_dir():
        raise UsqcError(f"{root}: folder not found; set ingest.folder to an existing folder of images")
    entries = _visible(root)
    subdirs = [p for p in entries if p.is_dir()]
    labelled: list[tuple[str, Path]] = []
    if subdirs:
        if len(subdirs) != len(entries):
            stray = next(p for p in entries if not p.is_dir())
            raise UsqcError(f"{stray}: a file beside class sub-folders; move it into its class folder")
        for sub in subdirs:
            plane = _plane_of(sub.name, planes)
            if plane is None:
                raise UsqcError(f"{sub}: sub-folder is not a class ({', '.join(planes)}); {_RENAME}")
            labelled += [(plane, p) for p in _visible(sub)]
    else:
        for path in entries:
            prefix = re.match(r"[A-Za-z]*", path.stem).group(0)
            plane = _plane_of(prefix, planes)
            if plane is None:
                raise UsqcError(f"{path}: name does not start with a class ({', '.join(planes)}); {_RENAME}")
            labelled.append((plane, path))
    for _, path in labelled:
        if path.is_dir() or path.suffix.lower() not in IMAGE_SUFFIXES:
            raise UsqcError(f"{path}: not an image file ({', '.join(IMAGE_SUFFIXES)}); remove it from the folder")
    if not labelled:
        raise UsqcError(f"{root}: no images found; add CLASS_*.png files or one sub-folder per class")
    counts: dict[str, int] = {}
    items = []
    for plane, path in sorted(labelled, key=lambda pair: (planes.index(pair[0]), str(pair[1]))):
        counts[plane] = counts.get(plane, 0) + 1
        image_id = f"{plane}_{counts[plane]:05d}"
        items.append(FileItem(image_id, image_id, plane, path))
    return items
