import numpy as np
import pytest

from usqc import phantom
from usqc.corrupted_sets import corrupt_all, originals_at
from usqc.imageio import resize_square
from usqc.threshold_sweep import sweep, sweep_intensities


@pytest.fixture(scope="module")
def clean():
    return np.stack([resize_square(phantom.generate(p, i, seed=2), 224) for p in ("BPD", "NT") for i in range(2)])


def test_blur_levels_are_whole_distinct_radii():
    assert sweep_intensities("blur", 0, 5, 20).tolist() == [0, 1, 2, 3, 4, 5]
    assert len(sweep_intensities("noise", 0, 1, 50)) == 50


@pytest.mark.parametrize(("name", "levels"), [("blur", [1, 3, 6, 10]), ("noise", [0.05, 0.15, 0.3, 0.6])])
def test_ssim_per_level_falls_on_structured_images(clean, name, levels):
    originals = originals_at(clean, 72)
    means = [corrupt_all(clean, originals, name, x, 0, "sweep", k)[1].mean() for k, x in enumerate(levels)]
    assert all(a > b for a, b in zip(means, means[1:], strict=False)), means


def test_sweep_columns_and_accuracy_from_the_classifier(clean):
    originals = originals_at(clean, 72)
    labels = np.array([0, 0, 1, 1])
    curve, correct = sweep(
        "noise", np.array([0.0, 0.5]), clean, originals, labels, lambda images: labels.copy(), seed=0
    )
    assert list(curve.columns) == ["intensity", "relative_intensity", "mean_ssim", "ssim_std", "accuracy"]
    assert curve["mean_ssim"].iloc[0] == pytest.approx(1.0) and curve["mean_ssim"].iloc[1] < 0.5
    assert correct.shape == (2, 4) and curve["accuracy"].tolist() == [1.0, 1.0]
