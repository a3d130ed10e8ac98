"""The corruption classifiers on real scans they never saw, and the guard on what is not a scan.

Real scans: the real-eval part of the shipped HC18 sample (fetal heads) and pydicom-data's real,
non-fetal B-mode frames. Each uncorrupted scan counts once (false alarms: not called original);
seeded copies of it at `ssim_eval`'s intensities from each threshold up count as corrupted
(detection: not called original; 4-class accuracy and per-class recall against the corruption).
Nothing is filtered out before counting: the domain guard's verdict is reported beside, not used.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import skimage.data
from PIL import Image

from usqc import corruptions as C
from usqc import streams
from usqc.corrupted_sets import originals_at
from usqc.dicomio import read_dicom_gray
from usqc.errors import UsqcError
from usqc.imageio import read_gray, to_gray_uint8
from usqc.ingest import clean_pixels
from usqc.intervals import share_with_interval
from usqc.label_rule import label_for
from usqc.real_sample import real_part
from usqc.ssim_eval import NONE, evaluate

# Everyday photographs, textures and drawings shipped with scikit-image, plus degenerate frames
PHOTOGRAPHS = (
    "astronaut", "brick", "camera", "cat", "checkerboard", "clock", "coffee", "coins", "colorwheel", "grass",
    "gravel", "hubble_deep_field", "immunohistochemistry", "horse", "logo", "microaneurysms", "moon", "page",
    "text", "retina", "rocket",
)  # fmt: skip


def non_ultrasound_images(seed: int) -> dict[str, np.ndarray]:
    """8-bit gray inputs that are not ultrasound: scikit-image's sample pictures, an all-black and
    an all-white frame, a 1 x 5000 strip and uniform noise."""
    images = {}
    for name in PHOTOGRAPHS:
        images[name] = to_gray_uint8(Image.fromarray(np.asarray(getattr(skimage.data, name)())))
    rng = streams.generator(seed, "non_ultrasound")
    images["black"] = np.zeros((480, 640), np.uint8)
    images["white"] = np.full((480, 640), 255, np.uint8)
    images["strip_1x5000"] = rng.integers(0, 256, (1, 5000), dtype=np.uint8)
    images["uniform_noise"] = rng.integers(0, 256, (480, 640), dtype=np.uint8)
    return images


def guard_inputs(
    phantom_test: np.ndarray, outsiders: Mapping[str, np.ndarray], clean_size: int, image_size: int
) -> dict[str, np.ndarray]:
    """The guard's test sets beside the real scans, as the models see them: `phantom_test`, the
    phantom test split's clean views (in domain), and `non_ultrasound`, the `outsiders` pictures."""
    outsider_clean = np.stack([clean_pixels(gray, clean_size) for gray in outsiders.values()])
    return {
        "phantom_test": originals_at(phantom_test, image_size),
        "non_ultrasound": originals_at(outsider_clean, image_size),
    }


def dicom_frame(spec: str) -> np.ndarray:
    """A pydicom-data file's frame, named NAME or NAME#FRAME (frame 0 by default)."""
    from pydicom.data import get_testdata_file

    name, _, frame = spec.partition("#")
    if frame and not frame.isdigit():
        raise UsqcError(f"real_eval.dicom_frames: {spec!r}: the frame after '#' must be a number")
    path = get_testdata_file(name)
    if path is None:
        raise UsqcError(f"real_eval.dicom_frames: {name} is not a pydicom-data file; name one it ships")
    return read_dicom_gray(Path(path), int(frame or 0))


def real_scan_sets(
    real: Path, dicom_frames: Sequence[str], clean_size: int, mask_outside_fov: bool
) -> dict[str, tuple[np.ndarray, list[str]]]:
    """The real scan sets, each as (clean uint8 views, subject of each scan): `hc18`, the
    real-eval part of the shipped sample; `dicom`, the named pydicom-data frames."""
    paths, subjects = real_part(real, "eval")
    sets = {
        "hc18": ([read_gray(path) for path in paths], subjects),
        "dicom": ([dicom_frame(spec) for spec in dicom_frames], [s.partition("#")[0] for s in dicom_frames]),
    }
    return {
        name: (np.stack([clean_pixels(g, clean_size, mask_outside_fov) for g in grays]), list(groups))
        for name, (grays, groups) in sets.items()
    }


def levels_from_threshold(levels: Mapping[str, np.ndarray], thresholds: Mapping[str, float | None], copies: int):
    """Each corruption's intensities that are labelled with it (from its threshold up), each
    repeated `copies` times: every repeat is a separately seeded copy."""
    above = {
        name: np.asarray([x for x in values if label_for(name, float(x), thresholds.get(name)) == name])
        for name, values in levels.items()
    }
    return {name: np.repeat(values, copies) for name, values in above.items() if len(values)}


def scan_metrics(table: pd.DataFrame, model: str, groups: np.ndarray, resamples: int, seed: int) -> dict:
    """False alarms, detection, 4-class accuracy and per-class recall of one model, with 95 % intervals.

    groups: the subject of each scan (table column `image` indexes it).
    """
    subject = np.asarray(groups)[table["image"].to_numpy()]
    predicted = table[model].to_numpy()
    truth = table["label"].to_numpy()
    uncorrupted = (table["corruption"] == NONE).to_numpy()
    corrupted = ~uncorrupted & (truth != C.LABELS[0])

    def share(values, mask, by_subject=True):
        return share_with_interval(values[mask], subject[mask] if by_subject else None, resamples, seed)

    return {
        "false_alarms": share(predicted != C.LABELS[0], uncorrupted, by_subject=False),
        "detection": share(predicted != C.LABELS[0], corrupted),
        "accuracy": share(predicted == truth, np.ones(len(table), bool)),
        "recall": {label: share(predicted == truth, truth == label) for label in C.LABELS},
    }


def score_real_sets(
    scan_sets: Mapping[str, tuple[np.ndarray, Sequence[str]]],
    guard_sets: Mapping[str, np.ndarray],
    levels: Mapping[str, np.ndarray],
    thresholds: Mapping[str, float | None],
    classifiers: Mapping[str, Callable[[np.ndarray], np.ndarray]],
    guards: Mapping[str, Callable[[np.ndarray], np.ndarray]],
    image_size: int,
    seed: int,
    resamples: int,
) -> tuple[dict, dict[str, pd.DataFrame]]:
    """Every real scan set (`real_scan_sets`) scored by every classifier, and each guard's
    rejections of its uncorrupted scans and of `guard_sets` (`guard_inputs`): the metrics as
    metrics/real_eval.json holds them (per set: scans, subjects, `scan_metrics` per model; `guard`),
    and each set's evaluation table (uncorrupted scans and seeded copies)."""
    metrics: dict = {}
    tables = {}
    for name, (clean, groups) in scan_sets.items():
        originals = originals_at(clean, image_size)
        tables[name] = evaluate(clean, originals, levels, thresholds, classifiers, seed)
        metrics[name] = {"scans": len(clean), "subjects": len(set(groups))}
        for model in classifiers:
            metrics[name][model] = scan_metrics(tables[name], model, np.asarray(groups), resamples, seed)
        for model, domain_scores in guards.items():
            metrics[name][model]["out_of_domain"] = out_of_domain_share(domain_scores(originals))
    metrics["guard"] = {
        model: {name: out_of_domain_share(domain_scores(images)) for name, images in guard_sets.items()}
        for model, domain_scores in guards.items()
    }
    return metrics, tables


def out_of_domain_share(scores: np.ndarray) -> dict:
    """Share of inputs whose domain score exceeds 1 (the guard rejects them), with a Wilson interval."""
    return share_with_interval(np.asarray(scores) > 1, None, 0, 0)
