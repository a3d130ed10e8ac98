"""One label rule for training and evaluation: corrupt's threshold rule, the thesis' crop bug and leaky split."""

import numpy as np
import pandas as pd
import pytest

from usqc import corruptions as C
from usqc import phantom
from usqc.corrupt import Plan, corrupt_image, leaky_split, threshold_ranges
from usqc.errors import UsqcError
from usqc.imageio import resize_square
from usqc.label_rule import below_range, draw_intensity, draw_near_threshold, label_for
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


@pytest.mark.parametrize("concentration", [1.0, 3.0])
def test_every_threshold_rule_image_carries_the_label_ssim_eval_would_give(clean, concentration):
    ranges = threshold_ranges(LIMITS, start=0.25)
    plan = Plan(seed=1, size=72, thesis=THESIS, ranges=ranges, below_share=0.5, concentration=concentration)
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


def test_power_one_is_the_uniform_draw_bit_for_bit():
    for name, side in [("noise", (0.06, 0.5)), ("blur", (3.0, 8.0)), ("scale_up", (0.075, 0.3))]:
        a, b = np.random.default_rng(5), np.random.default_rng(5)
        for _ in range(50):
            assert draw_near_threshold(name, side, True, 1.0, a) == draw_intensity(name, *side, b)


@pytest.mark.parametrize("threshold_at_low", [True, False])
def test_a_higher_power_crowds_the_draws_towards_the_threshold_and_stays_on_its_side(threshold_at_low):
    rng = np.random.default_rng(6)
    low, high = 0.015, 0.06
    threshold = low if threshold_at_low else high
    for power, near_share in [(1.0, 0.25), (2.0, 0.5), (4.0, 0.71)]:
        x = np.array([draw_near_threshold("noise", (low, high), threshold_at_low, power, rng) for _ in range(4000)])
        assert low <= x.min() and x.max() <= high and (threshold_at_low or x.max() < high)
        # the quarter of the side nearest the threshold holds 0.25 ** (1 / power) of the draws
        assert np.mean(np.abs(x - threshold) < 0.25 * (high - low)) == pytest.approx(near_share, abs=0.03)
    radii = [draw_near_threshold("blur", (2.0, 9.0), threshold_at_low, 3.0, rng) for _ in range(2000)]
    counts = np.bincount(np.array(radii, dtype=int), minlength=10)[2:]
    assert set(radii) <= set(range(2, 10)) and all(float(r).is_integer() for r in radii)
    nearest_first = counts if threshold_at_low else counts[::-1]
    assert nearest_first[0] > nearest_first[3] > nearest_first[7] and nearest_first[0] > 0.4 * len(radii)


def test_a_draw_under_the_threshold_never_lands_on_it():
    """A share of 0 puts the draw at the threshold: it is nudged under, as its label is `original`."""

    class Zero:
        def random(self):
            return 0.0

    x = draw_near_threshold("noise", (0.015, 0.06), False, 2.0, Zero())
    assert x < 0.06 and label_for("noise", x, 0.06) == "original"


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
