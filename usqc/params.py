"""Load and validate params.yaml: one typed section per stage, no unknown or mistyped keys.

Every key of a declared section is required, so params.yaml is the whole contract of a run and
`dvc exp run -S section.key=value` can only change what exists.
"""

from __future__ import annotations

import difflib
import types
import typing
from dataclasses import dataclass, field, fields, is_dataclass
from pathlib import Path

import yaml

from usqc.errors import UsqcError

LEARNING_RATE_SCHEDULES = ("constant", "cosine")  # usqc.training.learning_rate_for


def param(*, min=None, max=None, gt=None, lt=None, choices=None, items=None, pair=False, doc=""):
    """A required params.yaml key and its allowed values.

    min/max are inclusive, gt/lt exclusive; for a list (`items` = element type) they bound every
    element, and `pair` asks for exactly [low, high] with low <= high.
    """
    rules = {"min": min, "max": max, "gt": gt, "lt": lt, "choices": choices, "items": items, "pair": pair, "doc": doc}
    return field(metadata=rules)


@dataclass(frozen=True)
class BaseParams:
    seed: int = param(min=0, max=2**32 - 1, doc="root of every random draw")
    clean_size: int = param(min=32, max=1024, doc="side of the clean square images (thesis: 224)")
    image_size: int = param(min=71, max=1024, doc="model input side (thesis: 174; Xception needs >= 71)")


@dataclass(frozen=True)
class PhantomScanner:
    """Ranges each phantom image draws its scanner and display settings from (uniformly): what an
    `original` looks like. Physical bounds; usqc/phantom/scanner.py documents each default."""

    center_mhz: tuple[float, ...] = param(items=float, pair=True, min=1.0, max=15.0, doc="pulse centre frequency")
    bandwidth: tuple[float, ...] = param(items=float, pair=True, min=0.2, max=1.2, doc="fractional -6 dB bandwidth")
    dynamic_range_db: tuple[float, ...] = param(items=float, pair=True, min=20.0, max=100.0, doc="log window")
    headroom_db: tuple[float, ...] = param(items=float, pair=True, min=0.0, max=40.0, doc="gain: 90th pct below white")
    gray_gamma: tuple[float, ...] = param(items=float, pair=True, gt=0.0, max=4.0, doc="grey map exponent")
    speckle_reduction: tuple[float, ...] = param(items=float, pair=True, min=0.0, max=1.0, doc="smoothing strength")
    fill: tuple[float, ...] = param(
        items=float, pair=True, gt=0.0, max=1.0, doc="image width the plane's anatomy fills"
    )
    jpeg_quality: tuple[float, ...] = param(items=float, pair=True, min=10.0, max=100.0, doc="100: stored losslessly")
    annotation_share: float = param(min=0.0, max=1.0, doc="images with on-screen text (half of them with calipers)")
    result_box_share: float = param(min=0.0, max=1.0, doc="images with a measurement-results box over a corner")


@dataclass(frozen=True)
class PhantomSource:
    images_per_plane: int = param(min=1, max=100_000, doc="simulated patients, one image of every plane each")
    scanner: PhantomScanner = param()


@dataclass(frozen=True)
class FolderSource:
    path: str | None = param(doc="CLASS_* image files, or one sub-folder per class")


@dataclass(frozen=True)
class FetalPlanesDbSource:
    path: str | None = param(doc="the database root: FETAL_PLANES_DB_data.csv and Images/")
    label_column: str = param(choices=("Plane", "Brain_plane"), doc="the column holding the class")
    class_map: dict[str, str] = param(doc="database label -> class; other classes are left out")


@dataclass(frozen=True)
class DicomSource:
    path: str | None = param(doc="CLASS_*.dcm files, or one sub-folder per class")
    frames: str = param(choices=("first", "all"), doc="multi-frame files: the first frame, or every frame")


@dataclass(frozen=True)
class IngestParams:
    source: str = param(choices=("phantom", "folder", "fetal_planes_db", "dicom"), doc="its block below is read")
    planes: tuple[str, ...] = param(items=str)
    test_fraction: float = param(gt=0.0, lt=1.0)
    split: str = param(choices=("grouped", "source"), doc="source: fetal_planes_db's own Train column")
    mask_outside_fov: bool = param(doc="blank burned-in text and UI outside the ultrasound sector")
    duplicates: str = param(choices=("group", "drop"), doc="pixel-identical images: one group, or keep the first")
    on_error: str = param(choices=("fail", "skip"), doc="unreadable file: stop, or leave it out and count it")
    phantom: PhantomSource = param()
    folder: FolderSource = param()
    fetal_planes_db: FetalPlanesDbSource = param()
    dicom: DicomSource = param()


@dataclass(frozen=True)
class UnlabelledFiles:
    path: str | None = param(doc="every image (folder) or .dcm (dicom) file below it, recursively")
    group_by: str = param(choices=("subfolder", "pattern", "file"), doc="what makes one patient")
    group_pattern: str = param(doc="group_by pattern: regex on the file name; its first group names the patient")


@dataclass(frozen=True)
class Hc18Source:
    path: str = param(doc="the shipped sample (data/hc18); its real-train part is read")


@dataclass(frozen=True)
class UnlabelledParams:
    source: str = param(choices=("hc18", "folder", "dicom", "none"), doc="its block below is read")
    test_fraction: float = param(min=0.0, lt=1.0, doc="share of the groups in the corruption classifiers' test split")
    mask_outside_fov: bool = param(doc="blank burned-in text and UI outside the ultrasound sector")
    hc18: Hc18Source = param()
    folder: UnlabelledFiles = param()
    dicom: UnlabelledFiles = param()


@dataclass(frozen=True)
class ThesisSampling:
    crop_total_px: tuple[int, ...] = param(items=int, pair=True, min=0, doc="per-axis crop px (thesis 75-100)")
    crop_bug: bool = param(doc="replay the thesis code's row crop: 25-150 px instead of crop_total_px")
    blur_radius_px: tuple[int, ...] = param(items=int, pair=True, min=1, max=50, doc="median disk radius (thesis 1-10)")
    noise_sigmas: tuple[float, ...] = param(items=float, gt=0.0, max=1.0, doc="Gaussian sigmas (thesis 0.1-0.5)")


@dataclass(frozen=True)
class CorruptParams:
    labelled_copies: int = param(min=0, max=100, doc="corrupted sets per ingest image (0: leave them out)")
    unlabelled_copies: int = param(min=0, max=100, doc="corrupted sets per unlabelled image: the mix")
    label_rule: str = param(
        choices=("threshold", "thesis"), doc="threshold: ssim_eval's labels; thesis: its sampling, all corrupted"
    )
    below_threshold_share: float = param(
        min=0.0, max=1.0, doc="threshold rule: share of the original class that is a corruption below its threshold"
    )
    threshold_concentration: float = param(
        min=1.0, max=10.0, doc="threshold rule: a draw's distance from its threshold = the side's span x U^this"
    )
    split: str = param(choices=("grouped", "random"), doc="random: the thesis' leaky split of the 4x set (measuring)")
    examples: int = param(min=1, max=12, doc="source images shown in plots/corrupt/examples.png")
    thesis: ThesisSampling = param()


@dataclass(frozen=True)
class FitParams:
    """What every training stage (the plane classifier and the corruption classifiers) fits with."""

    weights: str = param(doc="imagenet, none, or a path to no-top base weights")
    epochs: int = param(min=1, max=10_000)
    batch_size: int = param(min=1, max=4096)
    learning_rate: float = param(gt=0.0, lt=1.0)
    learning_rate_schedule: str = param(
        choices=LEARNING_RATE_SCHEDULES, doc="constant, or cosine: annealed to 0 over the epochs"
    )
    validation_fraction: float = param(min=0.0, lt=1.0, doc="share of train groups held out for validation")


@dataclass(frozen=True)
class ThresholdSweepParams(FitParams):
    arch: str = param(choices=("xception", "vgg16"), doc="plane classifier base (thesis: xception)")
    augment: bool = param(doc="random mirroring, rotation, shift and zoom of training images")
    levels: int = param(min=2, max=1000, doc="intensities per corruption (thesis: 50)")
    scale_up_range: tuple[float, ...] = param(items=float, pair=True, min=0.0, lt=1.0, doc="area fraction lost")
    blur_range: tuple[float, ...] = param(items=float, pair=True, min=0.0, max=100.0, doc="disk radius px")
    noise_range: tuple[float, ...] = param(items=float, pair=True, min=0.0, max=1.0, doc="Gaussian sigma")
    accuracy_floor: float = param(gt=0.0, lt=1.0, doc="thesis: 0.90")
    max_drop: float = param(gt=0.0, lt=1.0, doc="allowed fall below clean accuracy (thesis: ~0.05)")
    bootstrap: int = param(min=10, max=100_000, doc="resamples for the threshold intervals")


@dataclass(frozen=True)
class TrainParams(FitParams):
    arch: str = param(choices=("vgg16", "xception"))
    early_stopping_patience: int = param(min=0, max=10_000, doc="0: off (train every epoch)")
    distribute: str = param(
        choices=("auto", "off", "all"), doc="auto: every GPU if any; off: one device; all: every device"
    )
    precision: str = param(
        choices=("auto", "float32", "mixed_float16", "mixed_bfloat16"),
        doc="auto: mixed_float16 on GPUs, mixed_bfloat16 for VGG16 on CPUs with AMX or AVX-512 BF16, else float32",
    )
    guard_quantile: float = param(
        gt=0.5, lt=1.0, doc="share of each class's held-out validation images the domain guard accepts"
    )
    mirror_average: bool = param(
        doc="the saved model averages its features over the image and its mirror (2x inference, no training cost)"
    )


@dataclass(frozen=True)
class BaselineParams:
    max_iter: int = param(min=1, max=10_000, doc="boosting rounds of the tree ensemble")
    learning_rate: float = param(gt=0.0, max=1.0)
    guard_quantile: float = param(
        gt=0.5, lt=1.0, doc="share of each class's cross-fitted training images the domain guard accepts"
    )


@dataclass(frozen=True)
class SsimEvalParams:
    levels_below: int = param(min=0, max=1000, doc="intensities below each threshold, labelled original")
    levels_above: int = param(min=1, max=1000, doc="intensities from the threshold to where SSIM flattens")
    start: float = param(gt=0.0, lt=1.0, doc="lowest intensity, as a fraction of the threshold")
    flat_tolerance: float = param(gt=0.0, lt=1.0, doc="SSIM has flattened within this of the sweep's lowest")
    batch_size: int = param(min=1, max=4096)
    saliency_images: int = param(min=1, max=8, doc="test images per class in each saliency figure (a dvc.yaml output)")


@dataclass(frozen=True)
class RealEvalParams:
    copies: int = param(min=1, max=100, doc="seeded corrupted copies of each real scan at each intensity")
    dicom_frames: tuple[str, ...] = param(items=str, doc="pydicom-data files, NAME or NAME#FRAME")
    mask_outside_fov: bool = param(doc="blank burned-in text and UI outside the sector of every real scan")
    bootstrap: int = param(min=10, max=100_000, doc="subject resamples for the 95 % intervals")
    batch_size: int = param(min=1, max=4096)


SECTIONS: dict[str, type] = {
    "base": BaseParams,
    "ingest": IngestParams,
    "unlabelled": UnlabelledParams,
    "corrupt": CorruptParams,
    "threshold_sweep": ThresholdSweepParams,
    "train_vgg16": TrainParams,
    "train_xception": TrainParams,
    "train_baseline": BaselineParams,
    "ssim_eval": SsimEvalParams,
    "real_eval": RealEvalParams,
}


def load(path: str | Path, *names: str) -> dict[str, object]:
    """The validated sections `names` of a params file, as frozen dataclasses."""
    path = Path(path)
    try:
        raw = yaml.safe_load(path.read_text())
    except FileNotFoundError:
        raise UsqcError(f"{path}: params file not found; run from the repository root or pass --params") from None
    except yaml.YAMLError as exc:
        raise UsqcError(f"{path}: not valid YAML ({str(exc).splitlines()[0]}); fix the syntax") from None
    if not isinstance(raw, dict):
        raise UsqcError(f"{path}: expected sections like 'base:' at the top level")
    for section in raw:
        if section not in SECTIONS:
            raise UsqcError(f"{path}: unknown section '{section}'{_suggest(section, SECTIONS)}")
    return {name: parse_section(raw.get(name), name, path) for name in names}


def parse_section(values: object, name: str, path: str | Path = "params.yaml"):
    return _parse(values, SECTIONS[name], name, path)


def _parse(values: object, schema: type, name: str, path: str | Path):
    """`values` as a `schema` dataclass; a field typed as a dataclass is a nested block, parsed alike."""
    if not isinstance(values, dict):
        raise UsqcError(f"{path}: section '{name}' is missing or not a mapping")
    known = {f.name: f for f in fields(schema)}
    for key in values:
        if key not in known:
            raise UsqcError(f"{path}: unknown key {name}.{key}{_suggest(key, known)}")
    hints = typing.get_type_hints(schema)
    parsed = {}
    for key, spec in known.items():
        if key not in values:
            raise UsqcError(f"{path}: missing key {name}.{key}; add it (see the README's params table)")
        if is_dataclass(hints[key]):
            parsed[key] = _parse(values[key], hints[key], f"{name}.{key}", path)
        else:
            parsed[key] = _check(values[key], hints[key], spec.metadata, f"{path}: {name}.{key}")
    return schema(**parsed)


def _suggest(word: str, options) -> str:
    close = difflib.get_close_matches(str(word), list(options), n=1)
    return f" (did you mean '{close[0]}'?)" if close else f"; known: {', '.join(options)}"


def _check(value, hint, rules, where: str):
    optional = isinstance(hint, types.UnionType) and type(None) in typing.get_args(hint)
    if value is None:
        if optional:
            return None
        raise UsqcError(f"{where} must not be empty")
    if optional:
        hint = next(a for a in typing.get_args(hint) if a is not type(None))
    if typing.get_origin(hint) is dict:
        if not isinstance(value, dict):
            raise UsqcError(f"{where} must be a mapping like {{label: class}} (got {value!r})")
        return {_coerce(k, str, f"{where} key"): _coerce(v, str, f"{where}[{k!r}]") for k, v in value.items()}
    if typing.get_origin(hint) is tuple:
        if not isinstance(value, list | tuple) or not value:
            raise UsqcError(f"{where} must be a non-empty list (got {value!r})")
        element_rules = {k: rules.get(k) for k in ("min", "max", "gt", "lt")}
        values = tuple(_check(v, rules["items"], element_rules, f"{where}[{i}]") for i, v in enumerate(value))
        if rules.get("pair") and (len(values) != 2 or values[0] > values[1]):
            raise UsqcError(f"{where} must be [low, high] with low <= high (got {value!r})")
        return values
    value = _coerce(value, hint, where)
    if rules.get("choices") and value not in rules["choices"]:
        raise UsqcError(f"{where} must be one of {', '.join(map(str, rules['choices']))} (got {value!r})")
    for rule, ok, text in (
        ("min", lambda v, b: v >= b, ">="),
        ("max", lambda v, b: v <= b, "<="),
        ("gt", lambda v, b: v > b, ">"),
        ("lt", lambda v, b: v < b, "<"),
    ):
        bound = rules.get(rule)
        if bound is not None and not ok(value, bound):
            raise UsqcError(f"{where} must be {text} {bound} (got {value!r})")
    return value


def _coerce(value, hint, where: str):
    if hint is float and isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    if hint is int and isinstance(value, int) and not isinstance(value, bool):
        return value
    if hint in (str, bool) and type(value) is hint:
        return value
    kind = {float: "a number", int: "an integer", str: "a string", bool: "true or false"}[hint]
    raise UsqcError(f"{where} must be {kind} (got {value!r})")
