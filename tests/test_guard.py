"""The out-of-domain guard, temperature scaling and the intervals real_eval reports."""

import numpy as np
import pandas as pd
import pytest

from tests.conftest import HC18
from usqc import domain_distance, guard
from usqc.calibration import TemperatureSoftmax
from usqc.errors import UsqcError
from usqc.intervals import share_with_interval, subject_bootstrap, wilson
from usqc.real_eval import dicom_frame, levels_from_threshold, non_ultrasound_images, real_scan_sets, scan_metrics
from usqc.real_sample import real_part
from usqc.ssim_eval import NONE
from usqc.temperature_scaling import expected_calibration_error, fit_calibration, negative_log_likelihood, softmax


def test_mahalanobis_is_the_squared_distance_to_the_nearest_mean():
    means = np.array([[0.0, 0.0], [10.0, 0.0]])
    points = np.array([[1.0, 1.0], [9.0, 0.0]])
    np.testing.assert_allclose(domain_distance.mahalanobis(points, means, np.eye(2)), [2.0, 1.0])
    np.testing.assert_allclose(domain_distance.mahalanobis(points, means, np.diag([4.0, 1.0])), [5.0, 4.0])


def test_nearest_distance_is_the_kth_neighbour():
    reference = np.array([[0.0], [1.0], [3.0], [7.0]])
    distances = domain_distance.nearest_distance(np.array([[0.0], [10.0]]), 0.0, 1.0, reference, k=2)
    np.testing.assert_allclose(distances, [1.0, 7.0])


def test_image_statistics_tell_blank_frames_from_speckle():
    rng = np.random.default_rng(0)
    speckle = np.clip(rng.rayleigh(40, (4, 32, 32)), 0, 255).astype(np.uint8)
    stats = domain_distance.image_statistics(np.concatenate([speckle, np.zeros((1, 32, 32), np.uint8)]))
    assert stats.shape == (5, domain_distance.STATISTICS)
    dark_share = stats[:, domain_distance.HISTOGRAM_BINS + 8]
    assert dark_share[-1] == 1.0 and (dark_share[:4] < 0.2).all()


@pytest.fixture
def fitted_guard():
    """A guard fitted on Gaussian features of two classes and on speckle images."""
    rng = np.random.default_rng(1)
    layer = guard.DomainGuard(2)
    layer.build((None, 6))
    labels = np.arange(400) % 2
    features = rng.normal(size=(400, 6)) + 3 * labels[:, None]
    images = np.clip(rng.rayleigh(50, (400, 24, 24)), 0, 255).astype(np.uint8)
    guard.fit(layer, features[:300], images[:300], labels[:300], seed=0)
    guard.set_thresholds(layer, features[300:], images[300:], labels[300:], quantile=0.95)
    return layer, rng


def test_every_class_keeps_the_quantile_when_one_class_is_wider():
    """Class 1's features spread 3x wider: a pooled 0.9 quantile would reject about a fifth of it."""
    rng = np.random.default_rng(4)
    layer = guard.DomainGuard(2)
    layer.build((None, 6))
    labels = np.arange(4000) % 2
    features = rng.normal(size=(4000, 6)) * np.where(labels == 1, 3.0, 1.0)[:, None]
    images = np.clip(rng.rayleigh(50, (4000, 24, 24)), 0, 255).astype(np.uint8)
    guard.fit(layer, features[:2000], images[:2000], labels[:2000], seed=0)
    thresholds = guard.set_thresholds(layer, features[2000:], images[2000:], labels[2000:], quantile=0.9)
    by_features, _ = guard.raw_scores(layer, features[2000:], images[2000:])
    for c in (0, 1):
        assert (by_features[labels[2000:] == c] <= thresholds["features"]).mean() >= 0.9
    pooled = np.quantile(by_features, 0.9)
    assert (by_features[labels[2000:] == 1] > pooled).mean() > 0.15  # what the pooled rule would have cost


def test_the_guard_accepts_its_own_kind_and_rejects_the_far_and_the_blank(fitted_guard):
    layer, rng = fitted_guard
    labels = np.arange(200) % 2
    near = rng.normal(size=(200, 6)) + 3 * labels[:, None]
    speckle = np.clip(rng.rayleigh(50, (200, 24, 24)), 0, 255).astype(np.uint8)
    accepted = guard.domain_scores(layer, near, speckle) <= 1
    assert accepted.mean() > 0.85  # about the 0.95 quantile each, two scores
    far_features = guard.domain_scores(layer, near[:5] + 25, speckle[:5])
    blank = guard.domain_scores(layer, near[:5], np.zeros((5, 24, 24), np.uint8))
    assert (far_features > 1).all() and (blank > 1).all()


def test_an_uncalibrated_guard_scores_nan():
    layer = guard.DomainGuard(3)
    layer.build((None, 4))
    assert not layer.calibrated
    assert np.isnan(guard.domain_scores(layer, np.zeros((2, 4)), np.zeros((2, 8, 8), np.uint8))).all()


def test_calibration_recovers_the_temperature_and_biases_that_made_the_labels():
    rng = np.random.default_rng(2)
    logits = rng.normal(scale=4.0, size=(4000, 4))
    bias = np.array([0.0, 1.0, -0.5, 0.3])
    labels = np.array([rng.choice(4, p=p) for p in softmax(logits / 2.5 + bias)])
    temperature, fitted_bias = fit_calibration(logits, labels)
    assert temperature == pytest.approx(2.5, rel=0.1)
    assert fitted_bias == pytest.approx(bias, abs=0.15)
    after = logits / temperature + fitted_bias
    assert negative_log_likelihood(after, labels) < negative_log_likelihood(logits, labels)
    assert expected_calibration_error(softmax(after), labels) < expected_calibration_error(softmax(logits), labels)


def test_the_biases_undo_a_model_that_over_calls_one_class():
    """A short training from scratch leaves skewed class priors: here every logit of class 1 is 2
    too high, so the raw argmax calls class 1 far too often; the fitted biases give it back."""
    rng = np.random.default_rng(3)
    labels = rng.integers(0, 4, 4000)
    logits = 3.0 * np.eye(4)[labels] + rng.normal(scale=1.5, size=(4000, 4))
    logits[:, 1] += 2.0
    temperature, bias = fit_calibration(logits[:2000], labels[:2000])  # fitted on one half, scored on the other
    raw, fixed = logits[2000:].argmax(axis=1), (logits[2000:] / temperature + bias).argmax(axis=1)
    assert (raw == 1).mean() > 0.4 and abs((fixed == 1).mean() - 0.25) < 0.05
    assert (fixed == labels[2000:]).mean() > (raw == labels[2000:]).mean() + 0.1


def test_temperature_alone_keeps_every_argmax_and_still_fits_the_spread():
    """Without class biases (the baseline's calibration) the argmax never moves, yet the temperature
    still undoes an over-confident model's scaling."""
    rng = np.random.default_rng(4)
    labels = rng.integers(0, 4, 3000)
    logits = 3.0 * np.eye(4)[labels] + rng.normal(scale=1.5, size=(3000, 4))
    logits[:, 1] += 2.0
    temperature, bias = fit_calibration(logits * 4, labels, class_biases=False)
    assert (bias == 0).all()
    assert ((logits * 4 / temperature + bias).argmax(axis=1) == logits.argmax(axis=1)).all()
    assert temperature > 2.5
    with_biases, _ = fit_calibration(logits * 4, labels)
    assert temperature != pytest.approx(with_biases, rel=1e-3)  # the option really changes the fit


def test_a_model_file_saved_before_the_biases_loads_with_zero_biases():
    layer = TemperatureSoftmax()
    layer.build((None, 4))
    layer.load_own_variables({"0": np.float32(1.7)})  # what a model of commit 7081556 stores
    assert float(layer.temperature.numpy()) == pytest.approx(1.7)
    assert (layer.bias.numpy() == 0).all()


def test_wilson_interval_matches_known_values():
    low, high = wilson(0, 20)
    assert low == 0.0 and high == pytest.approx(0.1611, abs=1e-3)
    low, high = wilson(10, 20)
    assert (low, high) == (pytest.approx(0.2993, abs=1e-3), pytest.approx(0.7007, abs=1e-3))


def test_the_subject_bootstrap_does_not_count_copies_as_independent():
    values = np.array([True] * 50 + [False] * 50)
    groups = np.array(["a"] * 50 + ["b"] * 50)
    low, high = subject_bootstrap(values, groups, 500, seed=0)
    assert low == 0.0 and high == 1.0  # two subjects say little, however many copies
    iid = share_with_interval(values, np.arange(100).astype(str), 500, seed=0)
    assert iid["ci_high"] - iid["ci_low"] < 0.3


def test_real_eval_levels_are_the_threshold_and_above_each_repeated():
    levels = {"blur": np.array([1.0, 2.0, 3.0, 5.0]), "noise": np.array([0.01, 0.02])}
    repeated = levels_from_threshold(levels, {"blur": 3.0, "noise": 0.5}, copies=2)
    assert repeated["blur"].tolist() == [3.0, 3.0, 5.0, 5.0] and "noise" not in repeated


def test_scan_metrics_count_false_alarms_detection_and_recall():
    table = pd.DataFrame(
        {
            "corruption": [NONE, NONE, "blur", "blur", "noise", "noise"],
            "image": [0, 1, 0, 1, 0, 1],
            "label": ["original", "original", "blur", "blur", "noise", "noise"],
            "m": ["original", "blur", "blur", "original", "blur", "noise"],
        }
    )
    metrics = scan_metrics(table, "m", np.array(["s1", "s2"]), resamples=50, seed=0)
    assert metrics["false_alarms"]["value"] == 0.5 and metrics["false_alarms"]["n"] == 2
    assert metrics["detection"]["value"] == 0.75 and metrics["accuracy"]["value"] == 0.5
    assert metrics["recall"]["blur"]["value"] == 0.5 and metrics["recall"]["noise"]["value"] == 0.5
    assert metrics["recall"]["scale_up"]["value"] is None


def test_dicom_frames_are_named_files_of_pydicom_data():
    assert dicom_frame("color3d_jpeg_baseline.dcm#2").shape == (480, 640)
    with pytest.raises(UsqcError, match="not a pydicom-data file"):
        dicom_frame("no_such_file.dcm")
    with pytest.raises(UsqcError, match="must be a number"):
        dicom_frame("US1_UNCR.dcm#x")


def test_the_non_ultrasound_set_has_photographs_blank_frames_and_a_strip():
    images = non_ultrasound_images(0)
    assert images["black"].max() == 0 and images["strip_1x5000"].shape == (1, 5000)
    assert all(image.dtype == np.uint8 and image.ndim == 2 for image in images.values()) and len(images) >= 20


def test_real_scan_sets_are_the_held_out_hc18_part_and_the_named_dicom_frames():
    frames = ("US1_UNCR.dcm", "color3d_jpeg_baseline.dcm#2")
    sets = real_scan_sets(HC18, frames, 32, mask_outside_fov=True)
    paths, subjects = real_part(HC18, "eval")
    hc18, hc18_subjects = sets["hc18"]
    assert hc18.shape == (len(paths), 32, 32) and hc18.dtype == np.uint8 and hc18_subjects == list(subjects)
    assert not set(hc18_subjects) & set(real_part(HC18, "train")[1])  # never a subject the models trained on
    dicom, dicom_groups = sets["dicom"]
    assert dicom.shape == (2, 32, 32) and dicom_groups == ["US1_UNCR.dcm", "color3d_jpeg_baseline.dcm"]
