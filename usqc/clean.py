"""`usqc clean`: triage a folder of ultrasound images with a trained corruption classifier.

Each file is read and resized exactly as the pipeline does (`model_view`), classified in batches,
and flagged when the model's probability that it is corrupted (1 - P(original)) reaches a
threshold. Flagged files can be copied or moved to a quarantine folder under their relative
paths; originals are only ever removed from the source folder by an explicit move.
"""

from __future__ import annotations

import fnmatch
import os
import shutil
from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd
from tqdm import tqdm

from usqc import corruptions as C
from usqc.corrupted_sets import originals_at
from usqc.dicomio import DICOM_SUFFIXES, read_dicom_gray
from usqc.errors import UsqcError, require_folder
from usqc.imageio import IMAGE_SUFFIXES, read_gray
from usqc.ingest import clean_pixels

DEFAULT_PATTERNS = tuple(f"*{suffix}" for suffix in (*IMAGE_SUFFIXES, *DICOM_SUFFIXES))
PROBABILITY_COLUMNS = [f"p_{label}" for label in C.LABELS]
COLUMNS = ["path", "predicted", *PROBABILITY_COLUMNS, "domain_score", "decision", "action", "error"]
DECISIONS = ("keep", "flag", "out_of_domain", "error")
READERS = min(4, os.cpu_count() or 1)  # threads reading files ahead of the model (`usqc clean --readers`)
SHEET_COLUMNS = 8  # files per row of `usqc clean --sheet`


def clean_view(path: str | Path, clean_size: int, mask_fov: bool = False) -> np.ndarray:
    """A file as `ingest` stores it: 8-bit grayscale (a DICOM's first frame), optionally with the
    outside of the field of view blanked, squared to clean_size."""
    gray = read_dicom_gray(path) if Path(path).suffix.lower() in DICOM_SUFFIXES else read_gray(path)
    return clean_pixels(gray, clean_size, mask_fov)


def model_view(path: str | Path, clean_size: int, image_size: int, mask_fov: bool = False) -> np.ndarray:
    """A file as the models see it: the clean view resized to the model input as `corrupt` stores originals."""
    return originals_at(clean_view(path, clean_size, mask_fov)[None], image_size)[0]


def find_images(src: Path, patterns: Sequence[str], recursive: bool, exclude: Path | None = None) -> list[Path]:
    """Files under `src` whose name matches a pattern (case-insensitive), sorted; hidden files and
    folders, and anything inside `exclude` (the quarantine), are skipped."""
    require_folder(src, "give a folder of images (for one file: the folder that holds it, and --pattern NAME)")
    found = []
    skip = exclude.resolve() if exclude is not None else None
    for root, dirs, files in os.walk(src):
        here = Path(root)
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and (here / d).resolve() != skip)
        found += [here / f for f in files if not f.startswith(".") and _matches(f, patterns)]
        if not recursive:
            break
    return sorted(found)


def _matches(name: str, patterns: Sequence[str]) -> bool:
    return any(fnmatch.fnmatch(name.lower(), pattern.lower()) for pattern in patterns)


@dataclass
class Batch:
    paths: list[Path]
    images: list[np.ndarray]
    errors: list[str | None]  # per path; images holds only the readable ones


def read_batches(
    paths: Sequence[Path],
    clean_size: int,
    image_size: int,
    batch_size: int,
    mask_fov: bool = False,
    readers: int = READERS,
) -> Iterator[Batch]:
    """Model views in batches, in path order; an unreadable file gives its error instead of stopping the run.

    With readers >= 1, threads read the next batch while the caller classifies this one (decoding
    and resizing run in OpenCV and NumPy, which release the GIL); at most two batches are in flight.
    readers = 0 reads each batch in the caller's thread when it is asked for. The batches are the same.
    """
    read = partial(_read_view, clean_size=clean_size, image_size=image_size, mask_fov=mask_fov)
    chunks = [list(paths[start : start + batch_size]) for start in range(0, len(paths), batch_size)]
    if readers < 1:
        yield from (_batch(chunk, map(read, chunk)) for chunk in chunks)
        return
    with ThreadPoolExecutor(readers, thread_name_prefix="usqc-read") as pool:
        in_flight: deque = deque()
        for chunk in chunks:
            in_flight.append((chunk, pool.map(read, chunk)))  # queued now, read while the caller works
            if len(in_flight) == 2:
                yield _batch(*in_flight.popleft())
        while in_flight:
            yield _batch(*in_flight.popleft())


def _read_view(path: Path, clean_size: int, image_size: int, mask_fov: bool) -> tuple[np.ndarray | None, str | None]:
    try:
        return model_view(path, clean_size, image_size, mask_fov), None
    except UsqcError as exc:
        return None, str(exc).replace(str(path), "").strip(" :")


def _batch(paths: list[Path], views: Iterable[tuple[np.ndarray | None, str | None]]) -> Batch:
    batch = Batch(paths, [], [])
    for image, error in views:
        if error is None:
            batch.images.append(image)
        batch.errors.append(error)
    return batch


def classify(
    paths: Sequence[Path],
    src: Path,
    predict,
    clean_size: int,
    image_size: int,
    batch_size: int,
    mask_fov: bool = False,
    readers: int = READERS,
) -> pd.DataFrame:
    """One row per file: path relative to `src`, predicted label, class probabilities, domain score, error.

    predict maps uint8 images (n, s, s) to (probabilities (n, classes) in C.LABELS order, domain
    scores (n,)), as `usqc.calibration.predict_guarded`.
    """
    rows = []
    with tqdm(total=len(paths), desc="clean", unit="img", disable=None) as bar:
        for batch in read_batches(paths, clean_size, image_size, batch_size, mask_fov, readers):
            probabilities, scores = predict(np.stack(batch.images)) if batch.images else ([], [])
            results = iter(zip(probabilities, scores, strict=True))
            for path, error in zip(batch.paths, batch.errors, strict=True):
                row = {"path": path.relative_to(src).as_posix(), "error": error or ""}
                if error is None:
                    p, score = next(results)
                    row["predicted"] = C.LABELS[int(np.argmax(p))]
                    row.update(zip(PROBABILITY_COLUMNS, p.tolist(), strict=True))
                    row["domain_score"] = float(score)
                rows.append(row)
            bar.update(len(batch.paths))
    return pd.DataFrame(rows, columns=[c for c in COLUMNS if c not in ("decision", "action")])


def decide(table: pd.DataFrame, threshold: float) -> pd.Series:
    """`error` if unread; `out_of_domain` when the domain score exceeds 1 (unlike the model's training
    images: its probabilities are not trusted); else `flag` when P(corrupted) = 1 - P(original) >=
    threshold and `keep` below it."""
    corrupted = 1.0 - table["p_original"].astype(float)
    decision = np.where(corrupted >= threshold, "flag", "keep")
    decision = np.where(table["domain_score"].astype(float) > 1, "out_of_domain", decision)
    return pd.Series(np.where(table["error"] != "", "error", decision), index=table.index)


def quarantine(
    table: pd.DataFrame, src: Path, dest: Path | None, move: bool, dry_run: bool
) -> tuple[pd.Series, pd.Series]:
    """Copy (or move) each flagged file to dest/<relative path>; never overwrite.

    Returns the action per row ('', 'copied', 'moved', 'would copy', 'would move') and the error
    column with any failure added; a failed file does not stop the others.
    """
    actions = pd.Series("", index=table.index)
    errors = table["error"].copy()
    if dest is None:
        return actions, errors
    done, planned = ("moved", "would move") if move else ("copied", "would copy")
    for i in table.index[table["decision"] == "flag"]:
        relative = table.at[i, "path"]
        target = dest / relative
        if dry_run:
            actions[i] = planned
            continue
        try:
            if target.exists():
                raise FileExistsError(f"{target} already exists in the quarantine; not overwritten")
            target.parent.mkdir(parents=True, exist_ok=True)
            (shutil.move if move else shutil.copy2)(src / relative, target)
            actions[i] = done
        except OSError as exc:
            errors[i] = str(exc)
    return actions, errors


def sheet_rows(table: pd.DataFrame) -> dict[str, list[int]]:
    """The report rows `--sheet` shows: one row of files per predicted class among the flagged ones,
    the surest first (highest P(corrupted)), then the out-of-domain files, the least like the
    training images first; at most SHEET_COLUMNS each, empty rows left out."""
    corrupted = 1.0 - table["p_original"].astype(float)
    picks = {
        f"flagged {label}": corrupted[(table["decision"] == "flag") & (table["predicted"] == label)]
        for label in C.LABELS
    }
    picks["out_of_domain"] = table.loc[table["decision"] == "out_of_domain", "domain_score"].astype(float)
    return {
        name: list(scores.sort_values(ascending=False, kind="stable").index[:SHEET_COLUMNS])
        for name, scores in picks.items()
        if len(scores)
    }


def sheet_images(
    table: pd.DataFrame, src: Path, clean_size: int, mask_fov: bool = False
) -> tuple[dict[str, list[np.ndarray]], dict[str, list[str]]]:
    """The clean views of `sheet_rows`' files, read again from `src` (before any move), and their
    captions: the report's row number (1 = the first line under the header, never the path, which
    may name a patient) with P(corrupted), or the domain score of an out-of-domain file."""
    images, captions = {}, {}
    for name, rows in sheet_rows(table).items():
        images[name] = [clean_view(src / table.at[i, "path"], clean_size, mask_fov) for i in rows]
        values = table.loc[rows, "domain_score" if name == "out_of_domain" else "p_original"].astype(float)
        shown = values if name == "out_of_domain" else 1.0 - values
        label = "domain" if name == "out_of_domain" else "P"
        captions[name] = [f"row {i + 1}, {label} {v:.2f}" for i, v in zip(rows, shown, strict=True)]
    return images, captions


def summary(table: pd.DataFrame) -> pd.DataFrame:
    """Files per predicted class and decision, unreadable files apart: the table printed at the end."""
    label = table["predicted"].where(table["decision"] != "error", "unreadable")
    counts = pd.crosstab(label, table["decision"])
    counts = counts.reindex(index=[*C.LABELS, "unreadable"], columns=list(DECISIONS), fill_value=0)
    counts["total"] = counts.sum(axis=1)
    return counts
