"""The real sample shipped with usqc (`data/hc18`: 58 HC18 fetal heads, CC BY 4.0), split once.

It is split by subject into a real-train part (an unlabelled source of `ingest_unlabelled`) and a
real-eval part (scored by `real_eval`): no real image is both trained on and evaluated on.
`split.csv` records the split and `hc18_split_table` makes it from the file names alone.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from usqc import streams
from usqc.errors import UsqcError
from usqc.split import grouped_split

HC18_SUBJECT = r"^(\d+)_"  # HC18: 017_HC.png, 017_2HC.png and 017_3HC.png are one fetus
SPLIT_FILE = "split.csv"  # filename, subject, part (train | eval)
HC18_EVAL_FRACTION = 0.35  # >= 30 % of the subjects in real-eval
HC18_SPLIT_SEED = 2018  # fixed, apart from base.seed: the real-eval set never moves between runs


def group_of(relative: Path, group_by: str, pattern: str, block: str = "unlabelled.folder") -> str:
    """The patient a file belongs to: its first sub-folder, a file-name pattern's first group, or itself
    (`block` names the params block that chose them, for the error)."""
    if group_by == "file":
        return relative.as_posix()
    if group_by == "subfolder":
        return relative.parts[0] if len(relative.parts) > 1 else relative.as_posix()
    found = re.search(pattern, relative.name)
    if found is None:
        raise UsqcError(
            f"{relative.name}: file name does not match {block}.group_pattern {pattern!r}; "
            f"fix the pattern or use {block}.group_by: subfolder"
        )
    return found.group(1) if found.groups() else found.group(0)


def subject_split(names: list[str], pattern: str, eval_fraction: float, seed: int) -> list[str]:
    """'train' or 'eval' per file name, whole subjects on one side, seeded."""
    subjects = [group_of(Path(n), "pattern", pattern) for n in names]
    sides = grouped_split(subjects, ["scan"] * len(names), eval_fraction, streams.generator(seed, "hc18_split"))
    return ["eval" if side == "test" else "train" for side in sides]


def hc18_split_table(folder: Path) -> pd.DataFrame:
    """The shipped sample's split as `subject_split` makes it from its file names."""
    names = sorted(p.name for p in (folder / "images").glob("*.png"))
    subjects = [group_of(Path(n), "pattern", HC18_SUBJECT) for n in names]
    parts = subject_split(names, HC18_SUBJECT, HC18_EVAL_FRACTION, HC18_SPLIT_SEED)
    return pd.DataFrame({"filename": names, "subject": subjects, "part": parts})


def read_split(folder: str | Path) -> pd.DataFrame:
    """The committed split of a real sample (filename, subject, part), checked against its images."""
    folder = Path(folder)
    path = folder / SPLIT_FILE
    try:
        table = pd.read_csv(path, dtype=str)
    except (OSError, pd.errors.ParserError, pd.errors.EmptyDataError):
        raise UsqcError(f"{path}: split file missing or unreadable; restore it (git checkout {path})") from None
    if list(table.columns) != ["filename", "subject", "part"] or not table["part"].isin(["train", "eval"]).all():
        raise UsqcError(f"{path}: expected columns filename, subject, part (train | eval); restore it")
    missing = [n for n in table["filename"] if not (folder / "images" / n).is_file()]
    if missing:
        raise UsqcError(f"{folder / 'images' / missing[0]}: named in {SPLIT_FILE} but missing; restore the sample")
    return table


def real_part(folder: str | Path, part: str) -> tuple[list[Path], list[str]]:
    """Paths and subjects of one part (train | eval) of a real sample, in file-name order."""
    table = read_split(folder)
    rows = table[table["part"] == part].sort_values("filename")
    return [Path(folder) / "images" / n for n in rows["filename"]], list(rows["subject"])
