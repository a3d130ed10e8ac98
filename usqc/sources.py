"""Where clean images come from: the embedded phantom, a user's folder of images or DICOM files,
or the public FETAL_PLANES_DB (Burgos-Artizzu et al. 2020).

A source lists lightweight, picklable items (id, group, plane and how to load the pixels) up
front, so that naming errors surface before any pixel is decoded, and loading can run in a pool.
"""

from __future__ import annotations

import hashlib
import logging
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from usqc import phantom
from usqc.dicomio import DICOM_SUFFIXES, header, read_dicom_gray
from usqc.errors import UsqcError, require_folder
from usqc.imageio import IMAGE_SUFFIXES, read_gray
from usqc.params import PhantomScanner

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PhantomItem:
    image_id: str
    group_id: str
    plane: str
    index: int
    seed: int
    scanner: PhantomScanner

    def pixels(self) -> np.ndarray:
        return phantom.generate(self.plane, self.index, self.seed, self.scanner)


@dataclass(frozen=True)
class FileItem:
    image_id: str
    group_id: str
    plane: str
    path: Path
    split: str | None = None  # preset by the source (fetal_planes_db's Train column), else decided later

    def pixels(self) -> np.ndarray:
        return read_gray(self.path)


@dataclass(frozen=True)
class DicomItem:
    image_id: str
    group_id: str
    plane: str
    path: Path
    frame: int
    split: str | None = None

    def pixels(self) -> np.ndarray:
        return read_dicom_gray(self.path, self.frame)


def phantom_items(
    planes: tuple[str, ...], images_per_plane: int, seed: int, scanner: PhantomScanner = phantom.DEFAULT_SCANNER
) -> list[PhantomItem]:
    """One simulated patient per index, with one image of each plane: the patient is the group."""
    unknown = [p for p in planes if p not in phantom.PLANES]
    if unknown:
        raise UsqcError(
            f"ingest.planes: the phantom cannot make {', '.join(unknown)}; use a subset of {', '.join(phantom.PLANES)}"
        )
    return [
        PhantomItem(f"{plane}_{i:05d}", f"patient_{i:05d}", plane, i, seed, scanner)
        for plane in planes
        for i in range(images_per_plane)
    ]


_RENAME = "rename it (like BPD_001.png or BPD/001.png) or add the class to ingest.planes"


def _visible(folder: Path) -> list[Path]:
    return [p for p in sorted(folder.iterdir()) if not p.name.startswith(".")]


def _plane_of(name: str, planes: tuple[str, ...]) -> str | None:
    by_upper = {p.upper(): p for p in planes}
    return by_upper.get(name.upper())


def labelled_files(folder: str | Path | None, planes: tuple[str, ...], suffixes: tuple[str, ...], key: str):
    """(plane, path) for every file of a folder laid out as CLASS_anything.ext files, or as one
    sub-folder per class, sorted by class then path; `key` names the param that set the folder."""
    if folder is None:
        raise UsqcError(f"{key} is empty; set it to a folder of images (-S {key}=PATH)")
    root = require_folder(folder, f"set {key} to an existing folder of images")
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
        if path.is_dir() or path.suffix.lower() not in suffixes:
            raise UsqcError(f"{path}: not an image file ({', '.join(suffixes)}); remove it from the folder")
    if not labelled:
        raise UsqcError(f"{root}: no images found; add CLASS_*{suffixes[0]} files or one sub-folder per class")
    return sorted(labelled, key=lambda pair: (planes.index(pair[0]), str(pair[1])))


def _numbered(planes: list[str]) -> list[str]:
    """Ids `{plane}_{k:05d}` in order: derived, never from file names (which may hold patient names)."""
    counts: dict[str, int] = {}
    ids = []
    for plane in planes:
        counts[plane] = counts.get(plane, 0) + 1
        ids.append(f"{plane}_{counts[plane]:05d}")
    return ids


def folder_items(folder: str | Path | None, planes: tuple[str, ...]) -> list[FileItem]:
    """Image files by class (see `labelled_files`); each image is its own group."""
    labelled = labelled_files(folder, planes, IMAGE_SUFFIXES, "ingest.folder.path")
    ids = _numbered([plane for plane, _ in labelled])
    return [FileItem(i, i, plane, path) for i, (plane, path) in zip(ids, labelled, strict=True)]


def dicom_items(
    folder: str | Path | None, planes: tuple[str, ...], all_frames: bool, skip_bad: bool = False
) -> tuple[list[DicomItem], dict]:
    """DICOM files by class; one item per file (its first frame) or per frame. A file's images
    are grouped by its hashed PatientID, or form a group of their own without one. A file whose
    header cannot be read stops the listing, or with `skip_bad` is left out and counted."""
    jobs, bad = [], 0
    for plane, path in labelled_files(folder, planes, DICOM_SUFFIXES, "ingest.dicom.path"):
        try:
            frames, key = header(path)
        except UsqcError as exc:
            if not skip_bad:
                raise UsqcError(f"{exc} (or set ingest.on_error: skip)") from None
            log.warning("skipped: %s", exc)
            bad += 1
            continue
        jobs += [(plane, path, frame, key) for frame in range(frames if all_frames else 1)]
    ids = _numbered([plane for plane, *_ in jobs])
    items = [
        DicomItem(i, f"patient_{key}" if key else i, plane, path, frame)
        for i, (plane, path, frame, key) in zip(ids, jobs, strict=True)
    ]
    return items, ({"unreadable_headers": bad} if bad else {})


FPDB_CSV = "FETAL_PLANES_DB_data.csv"
FPDB_COLUMNS = ("Image_name", "Patient_num", "Plane", "Brain_plane", "Train")
_FPDB_HINT = (
    "set ingest.fetal_planes_db.path to the database's root (the folder with FETAL_PLANES_DB_data.csv and Images/)"
)


def read_fpdb_table(root: Path) -> pd.DataFrame:
    """FETAL_PLANES_DB_data.csv: ';'-separated, column names stripped ('Train ' has a trailing space)."""
    csv = root / FPDB_CSV
    if not csv.is_file():
        raise UsqcError(f"{csv}: not found; {_FPDB_HINT}")
    try:
        table = pd.read_csv(csv, sep=";", dtype=str, keep_default_na=False)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        reason = str(exc).splitlines()[0][:100]
        raise UsqcError(f"{csv}: not a readable CSV ({reason}); restore the original file") from None
    table.columns = [str(c).strip() for c in table.columns]
    if len(table.columns) == 1:
        header = table.columns[0][:60]
        raise UsqcError(f"{csv}: not ';'-separated (one column: {header!r}); save it with ';' separators")
    missing = [c for c in FPDB_COLUMNS if c not in table.columns]
    if missing:
        raise UsqcError(f"{csv}: missing column {', '.join(missing)}; expected {';'.join(FPDB_COLUMNS)}")
    return table


def fetal_planes_db_items(
    folder: str | Path | None,
    planes: tuple[str, ...],
    label_column: str,
    class_map: dict[str, str],
    preset_split: bool,
    skip_missing: bool = False,
) -> tuple[list[FileItem], dict]:
    """FETAL_PLANES_DB rows as items: class from `label_column` through `class_map` (rows whose class
    is not in `planes` are left out and counted), group = patient, and with `preset_split` the
    database's own Train column (1 = train). Images are Images/<Image_name>.png."""
    if folder is None:
        raise UsqcError(f"ingest.fetal_planes_db.path is empty; {_FPDB_HINT}")
    root = Path(folder)
    table = read_fpdb_table(root)
    labels = table[label_column].str.strip()
    classes = labels.map(lambda v: class_map.get(v, v))
    keep = classes.isin(planes)
    if not keep.any():
        found = ", ".join(sorted(labels.unique())[:8])
        raise UsqcError(
            f"{root / FPDB_CSV}: no row has a class in ingest.planes ({', '.join(planes)}); column {label_column} "
            f"holds {found}: set ingest.planes or map them with ingest.fetal_planes_db.class_map"
        )
    rows = table[keep].assign(plane=classes[keep], order=classes[keep].map(planes.index))
    rows = rows.sort_values(["order", "Image_name"])
    if preset_split and not rows["Train"].str.strip().isin(["0", "1"]).all():
        raise UsqcError(f"{root / FPDB_CSV}: column Train must hold 0 or 1; use ingest.split: grouped")
    paths = [root / "Images" / f"{name.strip()}.png" for name in rows["Image_name"]]
    present = np.array([p.is_file() for p in paths], dtype=bool)
    if not present.all() and not skip_missing:
        first = paths[int(np.argmin(present))]
        raise UsqcError(
            f"{first}: named in {FPDB_CSV} but missing ({int((~present).sum())} such rows); "
            "restore the images or set ingest.on_error: skip"
        )
    rows, paths = rows[present], [p for p, ok in zip(paths, present, strict=True) if ok]
    ids = _numbered(list(rows["plane"]))
    items = [
        FileItem(
            image_id,
            "patient_" + hashlib.sha256(row.Patient_num.strip().encode()).hexdigest()[:12],
            row.plane,
            path,
            ("train" if row.Train.strip() == "1" else "test") if preset_split else None,
        )
        for image_id, row, path in zip(ids, rows.itertuples(index=False), paths, strict=True)
    ]
    if not items:
        raise UsqcError(f"{root}: none of the images named in {FPDB_CSV} exists under Images/; {_FPDB_HINT}")
    return items, {"other_classes": int((~keep).sum()), "missing_files": int((~present).sum())}
