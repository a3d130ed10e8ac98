"""The corrupted training set (thesis §4.2): each clean image plus one copy per corruption."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from tqdm import tqdm

from usqc import corruptions as C
from usqc import dataset, streams
from usqc.errors import UsqcError
from usqc.label_rule import below_range, draw_near_threshold
from usqc.parallel import ordered_map
from usqc.params import ThesisSampling
from usqc.similarity import ssim


@dataclass(frozen=True)
class LabelRange:
    """Where the threshold rule draws one corruption's intensities (usqc.label_rule)."""

    above: tuple[float, float]  # [threshold, end]: labelled with the corruption
    below: tuple[float, float] | None  # [start x threshold, threshold): labelled original; None if empty


@dataclass(frozen=True)
class Plan:
    """Everything one worker needs; picklable. Without `ranges`: the thesis' sampling, every copy
    labelled with its corruption; with them: the threshold rule."""

    seed: int
    size: int
    thesis: ThesisSampling
    ranges: dict[str, LabelRange] | None = None
    below_share: float = 0.0
    concentration: float = 1.0  # usqc.label_rule.draw_near_threshold's power


def threshold_ranges(limits: dict[str, tuple[float | None, float]], start: float) -> dict[str, LabelRange]:
    """The threshold rule's ranges from threshold_sweep's (threshold, end) per corruption."""
    ranges = {}
    for name, (threshold, end) in limits.items():
        if threshold is None:
            raise UsqcError(
                f"threshold_sweep found no {name} threshold in its range: widen threshold_sweep.{name}_range "
                "or use corrupt.label_rule: thesis"
            )
        low = max(threshold, 1.0) if name == "blur" else threshold
        ranges[name] = LabelRange((low, max(end, low)), below_range(name, threshold, start))
    return ranges


@dataclass(frozen=True)
class Corrupted:
    images: np.ndarray  # (4, size, size) uint8 in LABELS order
    intensities: tuple[float, ...]  # per image; 0 for a clean original
    applied: tuple[str, ...]  # the corruption each image went through ("none": a clean original)
    ssims: tuple[float, ...]  # per image, against the stored clean original; 1 for it


def corrupt_image(clean_u8: np.ndarray, image_id: str, plan: Plan) -> Corrupted:
    """One set: an image of each class in LABELS order, drawn by the plan's rule."""
    clean = C.to_float(clean_u8)
    draw = _thesis_set if plan.ranges is None else _threshold_set
    floats, intensities, applied = draw(clean, image_id, plan)
    images = np.stack([C.to_uint8(f) for f in floats])
    reference = C.to_float(C.to_uint8(C.resize(clean, plan.size)))
    ssims = tuple(
        1.0 if kind == C.NONE else ssim(reference, C.to_float(image))
        for kind, image in zip(applied, images, strict=True)
    )
    return Corrupted(images, intensities, applied, ssims)


def _thesis_set(clean: np.ndarray, image_id: str, plan: Plan):
    """The thesis' sampling (§4.2): crops of `crop_total_px` per axis, one of the blur radii and
    noise sigmas; every copy is labelled with its corruption, however weak."""
    rng_crop, rng_blur, rng_noise = (streams.generator(plan.seed, "corrupt", image_id, k) for k in C.LABELS[1:])
    sampling = plan.thesis
    crops = C.thesis_crops(rng_crop, sampling.crop_total_px, bug=sampling.crop_bug)
    radius = int(rng_blur.integers(sampling.blur_radius_px[0], sampling.blur_radius_px[1] + 1))
    sigma = float(rng_noise.choice(sampling.noise_sigmas))
    floats = (
        C.resize(clean, plan.size),
        C.crop_resize(clean, crops, plan.size),
        C.REGISTRY["blur"].apply(clean, radius, rng_blur, plan.size),
        C.REGISTRY["noise"].apply(clean, sigma, rng_noise, plan.size),
    )
    return floats, (0.0, C.lost_fraction(clean.shape, crops), float(radius), sigma), (C.NONE, *C.LABELS[1:])


def _threshold_set(clean: np.ndarray, image_id: str, plan: Plan):
    """The threshold rule: each corruption from its threshold to the end of its range; the
    original class a clean original or, with probability `below_share`, a corruption (chosen
    at random) drawn under its threshold, so the four classes stay equal. `concentration` crowds
    both sides' draws towards the threshold."""
    first = streams.generator(plan.seed, "corrupt", image_id, "original")
    weak = [name for name, r in plan.ranges.items() if r.below is not None]
    if weak and first.random() < plan.below_share:
        name = weak[int(first.integers(len(weak)))]
        x = draw_near_threshold(name, plan.ranges[name].below, False, plan.concentration, first)
        floats, intensities, applied = [C.REGISTRY[name].apply(clean, x, first, plan.size)], [x], [name]
    else:
        floats, intensities, applied = [C.resize(clean, plan.size)], [0.0], [C.NONE]
    for name in C.LABELS[1:]:
        rng = streams.generator(plan.seed, "corrupt", image_id, name)
        x = draw_near_threshold(name, plan.ranges[name].above, True, plan.concentration, rng)
        floats.append(C.REGISTRY[name].apply(clean, x, rng, plan.size))
        intensities.append(x)
        applied.append(name)
    return floats, tuple(intensities), tuple(applied)


def vary_original(clean_u8: np.ndarray, image_id: str, seed: int) -> np.ndarray:
    """A different-looking original of the same scan for a source's later copies: mirrored at random
    and given a display gamma in [0.8, 1.25] (a scanner's grey map). Neither interpolates pixels,
    so no copy gains a trace of the corruptions; without it the copies of one scan would repeat one
    original, and a model could learn the few real originals by heart."""
    rng = streams.generator(seed, "corrupt", image_id, "vary")
    image = clean_u8[:, ::-1] if rng.random() < 0.5 else clean_u8
    gamma = float(np.exp(rng.uniform(np.log(0.8), np.log(1.25))))
    return C.to_uint8(C.to_float(np.ascontiguousarray(image)) ** gamma)


def corrupt_row(job: tuple[Path, int, str, bool, Plan]) -> Corrupted:
    folder, row, copy_id, vary, plan = job
    clean = dataset.read_images(folder, row, row + 1)[0]
    return corrupt_image(vary_original(clean, copy_id, plan.seed) if vary else clean, copy_id, plan)


def copy_id(image_id: str, copy: int) -> str:
    """The id of a source's `copy`-th corrupted set, which also seeds its draws (copy 0: the source id)."""
    return image_id if copy == 0 else f"{image_id}_c{copy}"


@dataclass(frozen=True)
class Source:
    """A clean set (ingest's or ingest_unlabelled's) and how many corrupted sets each image gives."""

    folder: Path
    manifest: pd.DataFrame
    copies: int


def manifest_rows(source, copy: str, result: Corrupted) -> list[dict]:
    return [
        {
            "image_id": f"{copy}_{label}",
            "source_id": source.image_id,
            "group_id": source.group_id,
            "split": source.split,
            "plane": source.plane,
            "label": label,
            "intensity": round(result.intensities[k], 6),
            "applied": result.applied[k],
            "ssim": round(result.ssims[k], 6),
        }
        for k, label in enumerate(C.LABELS)
    ]


def summary(manifest: pd.DataFrame) -> dict:
    counts = manifest.groupby(["label", "split"]).size().unstack(fill_value=0)
    stats = manifest.groupby("label")["ssim"].agg(["min", "mean", "max"])
    unlabelled = manifest["plane"] == dataset.UNLABELLED
    originals = manifest[manifest["label"] == C.LABELS[0]]
    return {
        "images": int(len(manifest)),
        "sources": {"labelled": int((~unlabelled).sum()), "unlabelled": int(unlabelled.sum())},
        "counts": {label: {s: int(counts.loc[label].get(s, 0)) for s in ("train", "test")} for label in C.LABELS},
        "ssim": {
            label: {k: round(float(stats.loc[label, k]), 4) for k in ("min", "mean", "max")} for label in C.LABELS[1:]
        },
        # what the original class holds: clean originals, and corruptions under their threshold
        "original_class": {kind: int(n) for kind, n in originals["applied"].value_counts().sort_index().items()},
    }


def leaky_split(manifest: pd.DataFrame, seed: int) -> pd.DataFrame:
    """The thesis' split (`train_test_split` of the 4x set): the same train/test counts, every image
    placed at random, so copies of one source sit on both sides. Only to measure the leak."""
    shuffled = streams.generator(seed, "leaky_split").permutation(manifest["split"].to_numpy())
    return manifest.assign(split=shuffled)


def check_sizes(clean_size: int, image_size: int, crop_total_px: tuple[int, int]) -> None:
    """Cross-key checks the per-key validation cannot make."""
    if image_size > clean_size:
        raise UsqcError(f"base.image_size ({image_size}) must not exceed base.clean_size ({clean_size})")
    if crop_total_px[1] > clean_size // 2:
        raise UsqcError(
            f"corrupt.thesis.crop_total_px ({crop_total_px[1]} px) must be <= half of base.clean_size ({clean_size})"
        )


def example_sources(manifest: pd.DataFrame, count: int) -> list[int]:
    """Rows of the first corrupted set (its original; the corruptions follow) of `count` sources,
    taking the planes (and the unlabelled images) in turn."""
    firsts = manifest[manifest["label"] == C.LABELS[0]].drop_duplicates("source_id")
    per_plane = [list(rows) for _, rows in firsts.groupby("plane", sort=False).groups.items()]
    picked = [rows[k] for k in range(count) for rows in per_plane if k < len(rows)]
    return [int(r) for r in picked[:count]]


def write_corrupted(sources: list[Source], plan: Plan, out: Path, workers: int, split: str = "grouped") -> pd.DataFrame:
    """Stream `copies` corrupted sets (four images each) of every clean image of every source into
    `out`/images.npy, source by source, copies of one image together; return (and write) the manifest.
    The first set of an image starts from it as stored, later ones from `vary_original`'s variants.
    split: grouped keeps each source's split; random replays the thesis' leaky one."""
    jobs = [
        (s.folder, row, k, image)
        for s in sources
        for row, image in enumerate(s.manifest.itertuples(index=False))
        for k in range(s.copies)
    ]
    if not jobs:
        raise UsqcError("no image to corrupt: raise corrupt.labelled_copies or corrupt.unlabelled_copies")
    rows = []
    with dataset.ImageWriter(out, len(C.LABELS) * len(jobs), plan.size) as writer:
        work = ((folder, row, copy_id(image.image_id, k), k > 0, plan) for folder, row, k, image in jobs)
        results = tqdm(ordered_map(corrupt_row, work, workers), total=len(jobs), desc="corrupt", disable=None)
        for (_, _, k, image), result in zip(jobs, results, strict=True):
            writer.append(result.images)
            rows += manifest_rows(image, copy_id(image.image_id, k), result)
    manifest = pd.DataFrame(rows)
    if split == "random":
        manifest = leaky_split(manifest, plan.seed)
    dataset.write_manifest(out, manifest)
    return manifest
