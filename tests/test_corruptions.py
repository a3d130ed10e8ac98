import numpy as np
import pytest
from skimage.filters import median
from skimage.morphology import disk
from skimage.util import random_noise

from usqc import corruptions as C
from usqc import phantom
from usqc.imageio import resize_square
from usqc.similarity import ssim

C2 = 0.03**2  # SSIM's contrast constant at data_range 1


@pytest.fixture(scope="module")
def clean() -> np.ndarray:
    return C.to_float(resize_square(phantom.generate("BPD", 0, seed=3), 224))


def test_thesis_crops_follow_the_intended_rule():
    rng = np.random.default_rng(0)
    for _ in range(500):
        crops = C.thesis_crops(rng, (75, 100))
        for first, second in crops:
            assert 75 <= first + second <= 100 and 25 <= first <= 75 and second >= 0
        assert 1 - (149 / 224) ** 2 - 1e-9 <= C.lost_fraction((224, 224), crops) <= 1 - (124 / 224) ** 2 + 1e-9


def test_scale_up_output_size_and_requested_area_loss(clean):
    rng = np.random.default_rng(1)
    for fraction in (0.015, 0.1, 0.3, 0.6):
        crops = C.crops_for_fraction(clean.shape, fraction, rng)
        assert C.lost_fraction(clean.shape, crops) == pytest.approx(fraction, abs=0.01)
        assert C.crop_resize(clean, crops, 174).shape == (174, 174)
    assert C.REGISTRY["scale_up"].apply(clean, 0.3, rng, 96).shape == (96, 96)


@pytest.mark.parametrize("radius", [1, 2, 3, 4, 7, 10])
def test_median_equals_the_thesis_skimage_call(radius):
    image = np.random.default_rng(radius).integers(0, 256, (80, 90), dtype=np.uint8)
    thesis = median(image / 255.0, disk(radius))
    assert np.array_equal(C.median_disk(image, radius), np.rint(thesis * 255).astype(np.uint8))


def test_noise_matches_random_noise_semantics():
    gray = np.full((200, 200), 0.5, np.float32)
    ours = C.noise(gray, 0.1, np.random.default_rng(0))
    theirs = random_noise(gray, mode="gaussian", var=0.1**2, rng=np.random.default_rng(0))
    assert ours.min() >= 0 and ours.max() <= 1
    assert ours.std() == pytest.approx(theirs.std(), rel=0.03) and ours.mean() == pytest.approx(0.5, abs=0.005)


@pytest.mark.parametrize("sigma", [0.05, 0.1, 0.2])
def test_noise_lowers_ssim_of_a_flat_image_as_predicted(sigma):
    """On a constant image SSIM reduces to its contrast term: C2 / (sigma^2 + C2)."""
    gray = np.full((174, 174), 0.5, np.float32)
    noisy = C.noise(gray, sigma, np.random.default_rng(1))
    assert ssim(gray, noisy) == pytest.approx(C2 / (sigma**2 + C2), rel=0.1)


@pytest.mark.parametrize("name", ["blur", "noise"])
def test_ssim_falls_monotonically_with_intensity(clean, name):
    levels = {"blur": [1, 2, 4, 7, 10], "noise": [0.05, 0.1, 0.2, 0.3, 0.5]}[name]
    original = C.resize(clean, 174)
    scores = [ssim(original, C.REGISTRY[name].apply(clean, x, np.random.default_rng(0), 174)) for x in levels]
    assert all(a > b for a, b in zip(scores, scores[1:], strict=False)), scores
    assert scores[0] < 1


def test_scale_up_loses_more_similarity_with_more_crop(clean):
    original = C.resize(clean, 174)
    scores = [
        ssim(original, C.REGISTRY["scale_up"].apply(clean, f, np.random.default_rng(0), 174)) for f in (0.05, 0.3)
    ]
    assert 1 > scores[0] > scores[1]


def test_registry_states_units_and_rules():
    assert set(C.REGISTRY) == set(C.LABELS[1:])
    assert "area" in C.REGISTRY["scale_up"].unit and "radius" in C.REGISTRY["blur"].unit
    assert "sigma" in C.REGISTRY["noise"].unit.lower()
