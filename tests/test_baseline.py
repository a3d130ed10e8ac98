"""The classical baseline: features that respond to each corruption, a classifier that learns them."""

import numpy as np
import pytest

from tests.conftest import whole_sector_scanner
from usqc import corruptions as C
from usqc import phantom
from usqc.baseline import Baseline, feature_names, features, load_baseline
from usqc.corrupted_sets import originals_at
from usqc.errors import UsqcError
from usqc.imageio import resize_square


@pytest.fixture(scope="module")
def clean():
    return np.stack([resize_square(phantom.generate(p, k, seed=3), 224) for p in ("BPD", "NT") for k in range(6)])


def corrupted(clean, name, intensity, seed=0):
    rng = np.random.default_rng(seed)
    return np.stack([C.to_uint8(C.REGISTRY[name].apply(C.to_float(c), intensity, rng, 72)) for c in clean])


CORRUPTIONS = (("scale_up", 0.5), ("blur", 4), ("noise", 0.2))


def column(table, name):
    return table[:, feature_names().index(name)]


def test_each_corruption_moves_its_own_features(clean):
    base = features(originals_at(clean, 72))
    assert base.shape == (12, len(feature_names())) and np.isfinite(base).all()
    noisy = features(corrupted(clean, "noise", 0.2))
    blurred = features(corrupted(clean, "blur", 4))
    assert (column(noisy, "noise_dark") > 1.5 * column(base, "noise_dark")).all()
    assert (column(blurred, "laplacian_var") < column(base, "laplacian_var")).all()
    # a crop cuts away the dark corners beside a whole sector (zoomed scans have few to lose)
    sectors = np.stack([resize_square(phantom.generate("BPD", k, 3, whole_sector_scanner()), 224) for k in range(6)])
    cropped = features(corrupted(sectors, "scale_up", 0.5))
    assert column(cropped, "dark_top").mean() < column(features(originals_at(sectors, 72)), "dark_top").mean() - 0.2


def test_the_baseline_learns_the_four_classes_and_reloads(clean, tmp_path):
    mirrored = clean[:, :, ::-1]
    originals = np.concatenate([originals_at(c, 72) for c in (clean, mirrored, clean[:, ::-1])])
    copies = [np.concatenate([corrupted(clean, name, x, seed) for seed in range(3)]) for name, x in CORRUPTIONS]
    images = np.concatenate([originals, *copies])
    labels = np.repeat(np.arange(4), 3 * len(clean))
    train = np.arange(len(images)) % 3 != 0
    model = Baseline(72, max_iter=50, learning_rate=0.1, seed=1).fit(images[train], labels[train])
    assert (model.predict(images[~train]) == labels[~train]).mean() >= 0.75
    model.save(tmp_path / "b.pkl")
    np.testing.assert_array_equal(load_baseline(tmp_path / "b.pkl").predict(images), model.predict(images))
    probabilities = model.predict_proba(images[~train])
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0)
    np.testing.assert_array_equal(probabilities.argmax(axis=1), model.predict(images[~train]))
    for method in (model.predict, model.predict_proba):
        with pytest.raises(UsqcError, match="trained at 72 px, not 64"):
            method(np.zeros((2, 64, 64), np.uint8))


def test_the_calibrated_baseline_keeps_its_argmax_and_its_guard_rejects_what_is_not_a_scan(clean, tmp_path):
    """Cross-fitted by patient: the temperature lowers the held-out log-loss without moving a single
    argmax; the guard passes unseen phantom patients and rejects blank frames and photographs."""
    from skimage import data

    from usqc.inference import load

    sources = np.concatenate([clean, clean[:, :, ::-1]])  # 12 patients, each also mirrored
    copies = [np.concatenate([corrupted(sources, name, x, seed) for seed in range(2)]) for name, x in CORRUPTIONS]
    images = np.concatenate([originals_at(sources, 72), originals_at(sources[:, ::-1], 72), *copies])
    labels = np.repeat(np.arange(4), 2 * len(sources))
    groups = np.tile(np.arange(len(sources)) % len(clean), 8)  # a mirror is its patient's: one fold
    model = Baseline(72, max_iter=30, learning_rate=0.1, seed=1).fit(images, labels, groups, guard_quantile=0.95)
    fitted = model.calibration
    assert fitted["temperature"] > 0 and fitted["cross_fitted_nll"]["after"] <= fitted["cross_fitted_nll"]["before"]
    np.testing.assert_array_equal(model.predict_proba(images).argmax(axis=1), model.predict(images))

    unseen = np.stack([resize_square(phantom.generate(p, k, seed=11), 224) for p in ("BPD", "NT") for k in range(6)])
    _, unseen_scores = model.predict_guarded(originals_at(unseen, 72))
    assert (unseen_scores <= 1).mean() >= 0.75
    photographs = [data.camera(), data.checkerboard(), data.moon(), np.zeros((300, 300), np.uint8)]
    outsiders = originals_at(np.stack([resize_square(g, 224) for g in photographs]), 72)
    _, outsider_scores = model.predict_guarded(outsiders)
    assert (outsider_scores > 1).all() and np.isinf(outsider_scores[-1])  # a blank frame has no finite features

    model.save(tmp_path / "b.pkl")
    reloaded = load(tmp_path / "b.pkl", batch_size=8)
    assert reloaded.guarded and reloaded.image_size == 72
    np.testing.assert_array_equal(reloaded.predict(outsiders)[1], outsider_scores)


def test_a_baseline_fitted_without_patients_is_uncalibrated_and_unguarded(clean, tmp_path):
    """No groups, no cross-fitting: temperature 1 (the trees' own probabilities) and NaN domain scores,
    as a baseline pickled before calibration existed loads (the class defaults)."""
    from usqc.inference import load

    images = np.concatenate([originals_at(clean, 72), *(corrupted(clean, name, x) for name, x in CORRUPTIONS)])
    labels = np.repeat(np.arange(4), len(clean))
    model = Baseline(72, max_iter=10, learning_rate=0.1, seed=1).fit(images, labels)
    assert model.temperature == 1.0 and model.guard is None and model.calibration is None
    np.testing.assert_allclose(model.predict_proba(images), model.classifier.predict_proba(features(images)))
    model.save(tmp_path / "b.pkl")
    reloaded = load(tmp_path / "b.pkl", batch_size=8)
    assert not reloaded.guarded and np.isnan(reloaded.predict(images[:3])[1]).all()


def test_too_few_patients_to_cross_fit_is_a_clear_error(clean):
    images = originals_at(clean, 72)
    with pytest.raises(UsqcError, match="needs 5 patients or more in the train split, not 4"):
        Baseline(72, max_iter=5, learning_rate=0.1, seed=1).fit(images, np.arange(12) % 4, np.arange(12) % 4)


def test_an_unreadable_baseline_file_says_what_to_run(tmp_path):
    (tmp_path / "b.pkl").write_bytes(b"not a pickle")
    with pytest.raises(UsqcError, match="dvc repro train_baseline"):
        load_baseline(tmp_path / "b.pkl")


def test_the_dark_mask_counts_exactly_where_the_median_filter_is_dark():
    from scipy import ndimage

    from usqc.baseline import DARK, dark_median

    rng = np.random.default_rng(4)
    mixed = 0
    for _ in range(40):  # speckle-like images with black borders, dark fluid and flat black regions
        x = rng.random((72, 72)) * rng.uniform(0.06, 0.6)
        x[:, : rng.integers(0, 30)] = 0
        x[rng.integers(0, 72) :, rng.integers(0, 72) :] *= 0.05
        x = np.round(x * 255) / 255
        expected = ndimage.median_filter(x, 5) < DARK
        mixed += 0 < expected.sum() < expected.size
        np.testing.assert_array_equal(dark_median(x < DARK), expected)
    assert mixed >= 30  # the masks' edges were compared, not only all-dark or all-bright images
