from collections import Counter

import numpy as np
import pandas as pd
import pytest

from usqc.split import grouped_split, hold_out
from usqc.streams import generator


def _check(groups, planes, fraction, seed=0):
    split = grouped_split(groups, planes, fraction, generator(seed, "split"))
    sides = {}
    for group, side in zip(groups, split, strict=True):
        assert sides.setdefault(group, side) == side, f"group {group} on both sides"
    return split


@pytest.mark.parametrize("fraction", [0.1, 0.2, 0.5])
def test_singleton_groups_hit_the_target_per_plane(fraction):
    planes = ["BPD"] * 37 + ["CRL"] * 50 + ["NT"] * 13
    groups = [f"g{i}" for i in range(len(planes))]
    split = _check(groups, planes, fraction)
    test = Counter(p for p, s in zip(planes, split, strict=True) if s == "test")
    for plane, n in Counter(planes).items():
        assert abs(test[plane] - fraction * n) <= 1


def test_patients_with_one_image_per_plane_never_straddle():
    groups = [f"patient{i}" for i in range(40) for _ in range(3)]
    planes = ["BPD", "CRL", "NT"] * 40
    split = _check(groups, planes, 0.2)
    assert Counter(s for s, p in zip(split, planes, strict=True) if p == "BPD")["test"] == 8


def test_uneven_groups_stay_whole_and_close_to_target():
    groups, planes = [], []
    for g in range(60):
        for k in range(1 + g % 4):
            groups.append(f"g{g}")
            planes.append(["BPD", "CRL", "NT"][(g + k) % 3])
    split = _check(groups, planes, 0.25)
    test = Counter(p for p, s in zip(planes, split, strict=True) if s == "test")
    for plane, n in Counter(planes).items():
        assert 0.25 * n - 4 <= test[plane] <= 0.25 * n


def test_seeded_and_seed_dependent():
    groups = [f"g{i}" for i in range(50)]
    planes = ["BPD", "NT"] * 25
    assert _check(groups, planes, 0.2, 1) == _check(groups, planes, 0.2, 1)
    assert _check(groups, planes, 0.2, 1) != _check(groups, planes, 0.2, 2)


def test_the_validation_hold_out_is_not_the_test_split_again():
    """One seed, two purposes: the hold-out draws its own group order (once it reused the split's)."""
    groups = [f"g{i}" for i in range(200)]
    planes = ["BPD", "NT"] * 100
    manifest = pd.DataFrame({"group_id": groups, "plane": planes})
    _, validation = hold_out(manifest, np.arange(200), "plane", 0.2, seed=5)
    test = np.flatnonzero(np.array(_check(groups, planes, 0.2, 5)) == "test")
    assert len(validation) == len(test) == 40 and len(set(validation) & set(test)) < 20
