"""One label rule for training and evaluation: corrupt's threshold rule, the thesis' crop bug and leaky split."""

import numpy as np
import pandas as pd
import pytest

from usqc import corruptions as C
from usqc import phantom
from usqc.corrupt import Plan, corrupt_image, leaky_split, threshold_ranges
from usqc.errors import UsqcError
from usqc.imageio import resize_square
from usqc.label_rule import below_range, label_for
from usqc.params import ThesisSampling

THESIS = ThesisSampling((75, 100), False, (3, 5), (0.1, 0.3))
LIMITS = {"scale_up": (0.3, 0.7), "blur": (3.0, 8.0), "noise": (0.06, 0.5)}  # (threshold, end)


@pytest.fixture(scope="module")
def clean():
    return resize_square(phantom.generate("BPD", 0, seed=4), 224)


def test_below_ranges_start_from_the_fraction_and_blur_keeps_whole_radii():
    assert below_range("noise", 0.06, 0.25) == pytest.approx((0.015, 0.06))
    assert below_range("blur", 3.0, 0.25) == (1.0, 2.0)
    assert below_range("blur", 1.0, 0.25) is None and below_range("scale_up", 0.0, 0.25) is None


def test_every_threshold_rule_image_carries_the_label_ssim_eval_would_give(clean):
    ranges = threshold_ranges(LIMITS, start=0.25)
    plan = Plan(seed=1, size=72, thesis=THESIS, ranges=ranges, below_share=0.5)
    sets = [corrupt_image(clean, f"BPD_{k:05d}", plan) for k in range(40)]
    below = 0
    for s in sets:
        assert s.images.shape == (4, 72, 72)
        for label, applied, x in zip(C.LABELS, s.applied, s.intensities, strict=True):
            if applied == C.NONE:
                assert label == "original" and x == 0
                continue
            threshold, end = LIMITS[applied]
            assert label_for(applied, x, threshold) == label  # the evaluation's rule, image by image
            if label == "original":
                below += 1
                assert 0.25 * threshold <= x < threshold
            else:
                assert applied == label and threshold <= x <= end
    assert 10 <= below <= 30  # below_share 0.5 of 40 original-class images, one class each per set


def test_weak_corruptions_really_are_weaker(clean):
    """Below-threshold copies in the original class change the image less than the corrupted class."""
    plan = Plan(seed=2, size=72, thesis=THESIS, ranges=threshold_ranges(LIMITS, 0.25), below_share=1.0)
    sets = [corrupt_image(clean, f"NT_{k:05d}", plan) for k in range(12)]
    weak = [s.ssims[0] for s in sets]
    strong = [s.ssims[C.LABELS.index(s.applied[0])] for s in sets]
    assert all(w < 1 for w in weak) and np.mean(weak) > np.mean(strong) + 0.05


def test_a_missing_threshold_is_one_clear_error():
    with pytest.raises(UsqcError, match="no blur threshold.*threshold_sweep.blur_range.*label_rule: thesis"):
        threshold_ranges({**LIMITS, "blur": (None, 8.0)}, 0.25)


@pytest.mark.parametrize(("bug", "low", "high"), [(False, 75, 100), (True, 25, 150)])
def test_the_thesis_crop_bug_replayed_on_the_rows(bug, low, high):
    rng = np.random.default_rng(0)
    rows = [sum(C.thesis_crops(rng, (75, 100), bug=bug)[0]) for _ in range(3000)]
    cols = [sum(C.thesis_crops(rng, (75, 100), bug=bug)[1]) for _ in range(300)]
    assert low <= min(rows) and max(rows) <= high and (max(rows) - min(rows) > 80) == bug
    assert min(cols) >= 75 and max(cols) <= 100


def test_the_leaky_split_keeps_counts_and_puts_copies_of_a_source_on_both_sides():
    sources = [f"s{k}" for k in range(50) for _ in range(4)]
    split = ["test" if k < 10 else "train" for k in range(50) for _ in range(4)]
    manifest = pd.DataFrame({"source_id": sources, "split": split})
    assert manifest.groupby("source_id")["split"].nunique().max() == 1
    leaked = leaky_split(manifest, seed=3)
    assert (leaked["split"].value_counts() == manifest["split"].value_counts()).all()
    assert (leaked.groupby("source_id")["split"].nunique() == 2).sum() > 10
