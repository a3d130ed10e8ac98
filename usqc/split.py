"""The train/test split: by group (patient or source image), stratified by plane, seeded."""

from __future__ import annotations

from collections import Counter, defaultdict

import numpy as np
import pandas as pd

from usqc import streams


def grouped_split(groups: list[str], planes: list[str], test_fraction: float, rng: np.random.Generator) -> list[str]:
    """'train' or 'test' per image; every image of a group lands on the same side.

    Groups are visited in a random order drawn from `rng` and moved to test while no plane exceeds its
    target round(test_fraction * count). With one-image or one-per-plane groups every plane
    hits its target exactly.
    """
    members: dict[str, Counter] = defaultdict(Counter)
    for group, plane in zip(groups, planes, strict=False):
        members[group][plane] += 1
    totals = Counter(planes)
    target = {plane: int(round(test_fraction * n)) for plane, n in totals.items()}
    taken: Counter = Counter()
    order = sorted(members)
    rng.shuffle(order)
    test_groups = set()
    for group in order:
        if all(taken[p] + n <= target[p] for p, n in members[group].items()):
            test_groups.add(group)
            taken.update(members[group])
        if taken == Counter(target):
            break
    return ["test" if group in test_groups else "train" for group in groups]


def hold_out(manifest: pd.DataFrame, rows: np.ndarray, stratify_by: str, fraction: float, seed: int):
    """Split `rows` of the train split into (fit, validation) rows, whole groups on each side."""
    rows = np.asarray(rows)
    groups, strata = manifest["group_id"].iloc[rows].tolist(), manifest[stratify_by].iloc[rows].tolist()
    side = np.array(grouped_split(groups, strata, fraction, streams.generator(seed, "hold_out", stratify_by)))
    return rows[side == "train"], rows[side == "test"]
