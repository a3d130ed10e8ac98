"""Clean images without a plane label: sources for the corruption classifiers only.

The corruption classifiers' labels come from the corruption process, so any folder of clean
real scans can train them; only the plane classifier needs plane labels. Images are grouped by
patient (a sub-folder, a file-name pattern, or the HC18 subject) so that one patient's images
stay on one side of every split, and group ids are hashes: no folder or file name, which may
hold a patient's name, reaches an output.

By default the source is the real-train part of the shipped HC18 sample (usqc.real_sample).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from usqc.dataset import UNLABELLED as PLANE
from usqc.dicomio import DICOM_SUFFIXES
from usqc.errors import UsqcError, require_folder
from usqc.imageio import IMAGE_SUFFIXES
from usqc.params import UnlabelledParams
from usqc.real_sample import group_of, real_part
from usqc.sources import DicomItem, FileItem


def _files(folder: Path, suffixes: tuple[str, ...]) -> list[Path]:
    """Files with these suffixes under `folder`, recursively; hidden files and folders skipped."""
    found = (p for p in folder.rglob("*") if p.is_file() and p.suffix.lower() in suffixes)
    return sorted(p for p in found if not any(part.startswith(".") for part in p.relative_to(folder).parts))


def _hashed(group: str) -> str:
    return "unlabelled_" + hashlib.sha256(group.encode()).hexdigest()[:12]


def unlabelled_items(params: UnlabelledParams) -> list:
    """Items (as ingest's sources make them) of every clean image of the unlabelled source.

    hc18: the real-train part of the shipped sample; folder / dicom: every image (or .dcm) file
    under the block's path, recursively, hidden files skipped; none: no image.
    """
    source = params.source
    if source == "none":
        return []
    key = f"unlabelled.{source}.path"
    block = getattr(params, source)
    if block.path is None:
        raise UsqcError(f"{key} is empty; set it to a folder of clean scans (-S {key}=PATH)")
    root = require_folder(block.path, f"set {key} to an existing folder")
    if source == "hc18":
        paths, groups = real_part(root, "train")
    else:
        paths = _files(root, DICOM_SUFFIXES if source == "dicom" else IMAGE_SUFFIXES)
        if not paths:
            kind = "DICOM (.dcm)" if source == "dicom" else "image"
            raise UsqcError(f"{root}: no {kind} files found; point {key} at clean scans")
        block_name = f"unlabelled.{source}"
        groups = [group_of(p.relative_to(root), block.group_by, block.group_pattern, block_name) for p in paths]
    ids = [f"{PLANE}_{k:05d}" for k in range(1, len(paths) + 1)]
    if source == "dicom":
        return [DicomItem(i, _hashed(g), PLANE, p, 0) for i, g, p in zip(ids, groups, paths, strict=True)]
    return [FileItem(i, _hashed(g), PLANE, p) for i, g, p in zip(ids, groups, paths, strict=True)]
