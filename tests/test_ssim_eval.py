"""The full-range evaluation: levels, labels at the threshold, the table, curves and reports."""

import json

import numpy as np
import pandas as pd
import pytest

from usqc import corruptions as C
from usqc import phantom
from usqc.corrupted_sets import originals_at
from usqc.errors import UsqcError
from usqc.imageio import resize_square
from usqc.label_rule import eval_intensities, flattening_point, full_range, label_for
from usqc.params import SsimEvalParams
from usqc.ssim_eval import NONE, curve, evaluate, example_images, summary


def test_flattening_point_is_the_first_level_near_the_lowest_ssim():
    intensities = [0.0, 0.2, 0.4, 0.6, 0.8, 1.0]
    ssim = [1.0, 0.5, 0.3, 0.24, 0.21, 0.2]
    assert flattening_point(intensities, ssim, 0.05) == 0.6
    assert flattening_point(intensities, ssim, 0.005) == 1.0
    assert flattening_point(intensities, ssim, 0.35) == 0.2


def test_levels_run_from_below_the_threshold_through_it_to_the_end():
    values = eval_intensities("noise", 0.2, 0.8, start=0.25, below=2, above=4)
    assert values.tolist() == pytest.approx([0.05, 0.125, 0.2, 0.4, 0.6, 0.8])
    assert values[2] == 0.2  # the threshold itself is a level, exactly
    assert [label_for("noise", x, 0.2) for x in values] == ["original"] * 2 + ["noise"] * 4


def test_blur_levels_are_distinct_whole_radii_without_zero():
    values = eval_intensities("blur", 3.0, 10.0, start=0.1, below=3, above=5)
    assert values.tolist() == [1, 2, 3, 5, 6, 8, 10]


def test_end_below_the_threshold_still_gives_corrupted_levels():
    values = eval_intensities("scale_up", 0.5, 0.3, start=0.5, below=1, above=3)
    assert values.tolist() == [0.25, 0.5, 0.5, 0.5]


def test_no_threshold_labels_every_level_original():
    values = eval_intensities("noise", None, 0.6, start=0.5, below=1, above=2)
    assert values.tolist() == pytest.approx([0.3, 0.45, 0.6])
    assert {label_for("noise", x, None) for x in values} == {"original"}


@pytest.mark.parametrize(("intensity", "expected"), [(0.1799999, "original"), (0.18, "noise"), (0.1800001, "noise")])
def test_label_switches_exactly_at_the_threshold(intensity, expected):
    assert label_for("noise", intensity, 0.18) == expected


@pytest.fixture(scope="module")
def clean():
    return np.stack([resize_square(phantom.generate(p, i, seed=5), 96) for p in ("BPD", "CRL") for i in range(2)])


def fake_classifier(images: np.ndarray) -> np.ndarray:
    """Calls an image noisy when neighbouring pixels disagree a lot, else original."""
    roughness = np.abs(np.diff(images.astype(float), axis=2)).mean(axis=(1, 2))
    return np.where(roughness > 25, C.LABELS.index("noise"), C.LABELS.index("original"))


def test_evaluate_labels_corrupts_and_classifies_every_test_image(clean):
    originals = originals_at(clean, 72)
    levels = {"noise": np.array([0.02, 0.3]), "blur": np.array([2.0])}
    table = evaluate(clean, originals, levels, {"noise": 0.3, "blur": None}, {"m": fake_classifier}, seed=1)
    assert len(table) == 4 * (1 + 2 + 1)
    assert list(table.columns) == ["corruption", "level", "intensity", "image", "ssim", "label", "m"]
    first = table[table["corruption"] == NONE]
    assert (first["ssim"] == 1).all() and (first["label"] == "original").all()
    noisy = table[table["intensity"] == 0.3]
    assert (noisy["label"] == "noise").all() and (noisy["ssim"] < 0.6).all()
    assert (table.loc[table["intensity"] == 0.02, "label"] == "original").all()
    assert (table.loc[table["corruption"] == "blur", "label"] == "original").all()
    assert (noisy["m"] == "noise").all() and (first["m"] == "original").all()
    again = evaluate(clean, originals, levels, {"noise": 0.3, "blur": None}, {"m": fake_classifier}, seed=1)
    pd.testing.assert_frame_equal(table, again)


def test_examples_are_the_evaluated_images(clean):
    originals = originals_at(clean, 72)
    levels = {"noise": np.array([0.05, 0.2, 0.4])}
    table = evaluate(clean, originals, levels, {"noise": 0.2}, {"m": fake_classifier}, seed=3)
    examples = example_images(clean, originals, levels, {"noise": 0.2}, count=2, seed=3)
    assert set(examples) == {"original", "noise"} and examples["noise"].shape == (2, 72, 72)
    from usqc.corrupted_sets import corrupt_all

    images, scores = corrupt_all(clean, originals, "noise", 0.4, 3, "full_range", 2)
    np.testing.assert_array_equal(examples["noise"], images[[0, 3]])
    np.testing.assert_allclose(table.loc[table["intensity"] == 0.4, "ssim"], scores)


@pytest.fixture
def table() -> pd.DataFrame:
    rows = []
    for image, pred in enumerate(["original", "original"]):
        rows.append((NONE, -1, 0.0, image, 1.0, "original", pred))
    for image, pred in enumerate(["original", "blur"]):
        rows.append(("blur", 0, 1.0, image, 0.9, "original", pred))
    for image, pred in enumerate(["blur", "original"]):
        rows.append(("blur", 1, 3.0, image, 0.7, "blur", pred))
    return pd.DataFrame(rows, columns=["corruption", "level", "intensity", "image", "ssim", "label", "m"])


def test_curve_rows_per_intensity_with_both_accuracies(table):
    got = curve(table, "m", "blur")
    assert got["intensity"].tolist() == [0.0, 1.0, 3.0]
    assert got["label"].tolist() == ["original", "original", "blur"]
    assert got["accuracy"].tolist() == [1.0, 0.5, 0.5]
    assert got["accuracy_all_corrupted"].tolist() == [0.0, 0.5, 0.5]
    assert got["images"].tolist() == [2, 2, 2]


def test_summary_is_the_classification_report_plus_accuracy_by_region(table):
    got = summary(table, "m")
    assert got["accuracy"] == pytest.approx(4 / 6)
    assert got["per_class"]["original"]["support"] == 4 and got["per_class"]["blur"]["support"] == 2
    assert got["per_class"]["blur"]["precision"] == 0.5 and got["per_class"]["blur"]["recall"] == 0.5
    assert got["originals_accuracy"] == 1.0
    assert got["by_corruption"] == {
        "blur": {"below_threshold": 0.5, "above_threshold": 0.5, "level_below_threshold": 0.5, "at_threshold": 0.5}
    }
    assert got["accuracy_off_threshold"] == 0.75  # the originals and blur's level 0


def test_the_threshold_level_and_the_level_below_it_are_reported_apart():
    predictions = {0: ["original"] * 2, 1: ["blur", "original"], 2: ["original"] * 2, 3: ["blur"] * 2}
    labels = {0: "original", 1: "original", 2: "blur", 3: "blur"}
    rows = [
        ("blur", k, float(k), i, 0.5, labels[k], p) for k, preds in predictions.items() for i, p in enumerate(preds)
    ]
    got = summary(pd.DataFrame(rows, columns=["corruption", "level", "intensity", "image", "ssim", "label", "m"]), "m")
    blur = got["by_corruption"]["blur"]
    assert (blur["below_threshold"], blur["level_below_threshold"]) == (0.75, 0.5)
    assert (blur["above_threshold"], blur["at_threshold"]) == (0.5, 0.0)
    assert got["accuracy_off_threshold"] == pytest.approx(5 / 6)


def test_full_range_reads_the_sweep_and_spreads_the_levels_around_each_threshold(tmp_path):
    floors = {"blur": 3.0, "noise": 0.2, "scale_up": None}
    (tmp_path / "sweep.json").write_text(json.dumps({"thresholds": {n: {"floor": f} for n, f in floors.items()}}))
    ssim = [1.0, 0.6, 0.3, 0.22, 0.2]
    for name, top in (("blur", 10.0), ("noise", 0.8), ("scale_up", 0.5)):
        intensity = np.linspace(0, top, len(ssim))
        pd.DataFrame({"intensity": intensity, "mean_ssim": ssim}).to_csv(tmp_path / f"{name}.csv", index=False)
    grid = SsimEvalParams(levels_below=2, levels_above=3, start=0.5, flat_tolerance=0.05, batch_size=8,
                          saliency_images=1)  # fmt: skip
    thresholds, levels = full_range(tmp_path / "sweep.json", tmp_path, grid)
    assert thresholds == floors
    assert levels["noise"].tolist() == pytest.approx([0.1, 0.15, 0.2, 0.4, 0.6])  # SSIM flat from 0.6 on
    assert levels["blur"].tolist() == [2, 3, 5, 8]  # whole radii from 1.5 (rounds to 2) through 3 to 7.5
    assert {label_for("scale_up", x, None) for x in levels["scale_up"]} == {"original"}
    with pytest.raises(UsqcError, match="run dvc repro threshold_sweep"):
        full_range(tmp_path / "missing.json", tmp_path, grid)
