"""`usqc evaluate`: a model scored on a folder of clean scans and their corrupted copies, as real_eval
scores the shipped real-eval heads, with what `usqc clean --threshold` would flag."""

import json

import numpy as np
import pandas as pd
import pytest

from tests.conftest import save_png, write_params
from usqc import corruptions as C
from usqc import phantom
from usqc.backend import make_deterministic
from usqc.cli import main
from usqc.corrupted_sets import originals_at
from usqc.evaluate_folder import PREDICTED, folder_metrics, operating_points, scored_table
from usqc.imageio import resize_square
from usqc.models import build
from usqc.real_eval import scan_metrics
from usqc.saved_models import save_model
from usqc.ssim_eval import NONE, evaluate

SIZE = 32
LEVELS = {"scale_up": np.array([0.3, 0.5]), "blur": np.array([2.0]), "noise": np.array([0.2, 0.4])}
THRESHOLDS = {"scale_up": 0.4, "blur": 2.0, "noise": 0.2}
CURVE_COLUMNS = ["intensity", "mean_ssim", "label", "accuracy", "accuracy_all_corrupted", "images"]


def brightness_model(images: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A deterministic stand-in for predict_guarded: probabilities from each image's mean grey and
    spread, domain score from its mean (bright images out of domain)."""
    x = images.reshape(len(images), -1).astype(float) / 255
    logits = np.stack([x.mean(1) * 9, x.std(1) * 7, 1 - x.mean(1) * 3, x.std(1) * 11 - 1], axis=1)
    p = np.exp(logits - logits.max(1, keepdims=True))
    return p / p.sum(1, keepdims=True), x.mean(1) * 4


@pytest.fixture(scope="module")
def scans():
    clean = np.stack([resize_square(phantom.generate(p, i, seed=2), 96) for p in ("BPD", "NT") for i in range(3)])
    return clean, originals_at(clean, SIZE)


def test_the_table_is_ssim_eval_s_and_the_metrics_real_eval_s(scans):
    clean, originals = scans
    table = scored_table(clean, originals, LEVELS, THRESHOLDS, brightness_model, seed=4)
    argmax = {"m": lambda images: brightness_model(images)[0].argmax(axis=1)}
    reference = evaluate(clean, originals, LEVELS, THRESHOLDS, argmax, seed=4)
    assert (table[PREDICTED] == reference["m"]).all()
    pd.testing.assert_frame_equal(table[reference.columns[:-1]], reference.iloc[:, :-1])
    assert len(table) == len(clean) * (1 + sum(map(len, LEVELS.values())))
    groups = np.array(["a", "a", "b", "b", "c", "c"])
    ours = folder_metrics(table, groups, resamples=200, seed=4)
    theirs = scan_metrics(reference.rename(columns={"m": PREDICTED}), PREDICTED, groups, 200, 4)
    assert {k: ours[k] for k in theirs} == theirs


def test_a_model_without_a_guard_reports_no_out_of_domain_share(scans):
    clean, originals = scans

    def unguarded(images):
        return brightness_model(images)[0], np.full(len(images), np.nan)

    table = scored_table(clean, originals, LEVELS, THRESHOLDS, unguarded, seed=4)
    metrics = folder_metrics(table, np.arange(len(clean)).astype(str), resamples=50, seed=4)
    assert metrics["out_of_domain"]["value"] is None  # unknown, not 0
    assert folder_metrics(scored_table(clean, originals, LEVELS, THRESHOLDS, brightness_model, seed=4),
                          np.arange(len(clean)).astype(str), 50, 4)["out_of_domain"]["value"] is not None  # fmt: skip


def test_operating_points_count_what_usqc_clean_would_flag():
    # 4 scans, 6 corrupted copies; P(original) and domain scores chosen so each count is known
    table = pd.DataFrame(
        {
            "corruption": [NONE] * 4 + ["noise"] * 6,
            "label": ["original"] * 4 + ["noise"] * 6,
            "image": [0, 1, 2, 3, 0, 1, 2, 3, 0, 1],
            "p_original": [0.9, 0.45, 0.25, 0.05, 0.6, 0.35, 0.15, 0.02, 0.01, 0.2],
            "domain_score": [0.5, 0.5, 0.5, 1.5, 0.5, 0.5, 0.5, 0.5, 2.0, 0.5],
        }
    )
    points = operating_points(table, ["s0", "s1", "s2", "s3"], [0.5, 0.7, 0.9], resamples=100, seed=0)
    # flagged when 1 - P(original) >= threshold and in domain: the out-of-domain rows never are
    assert [p["false_alarms"]["value"] for p in points] == [2 / 4, 1 / 4, 0.0]
    assert [p["detection"]["value"] for p in points] == [4 / 6, 3 / 6, 1 / 6]
    assert all(p["detection"]["n"] == 6 and p["false_alarms"]["n"] == 4 for p in points)


@pytest.fixture(scope="module")
def model_path(tmp_path_factory):
    make_deterministic(0)
    path = tmp_path_factory.mktemp("model") / "untrained.keras"
    save_model(build("vgg16", SIZE, len(C.LABELS), "none"), path)
    return path


@pytest.fixture
def repo(tmp_path):
    """A workspace with params.yaml and threshold_sweep's results, as `usqc evaluate` reads them."""
    write_params(tmp_path / "params.yaml")
    sweep = tmp_path / "plots/threshold_sweep"
    sweep.mkdir(parents=True)
    for name, end in (("scale_up", 0.8), ("blur", 6), ("noise", 1)):
        (sweep / f"{name}.csv").write_text(f"intensity,mean_ssim\n0,1\n{end / 2},0.6\n{end},0.5\n")
    (tmp_path / "metrics").mkdir()
    (tmp_path / "metrics/threshold_sweep.json").write_text(
        json.dumps({"thresholds": {"scale_up": {"floor": 0.4}, "blur": {"floor": 2}, "noise": {"floor": 0.3}}})
    )
    src = tmp_path / "scans"
    for patient, plane in (("jane_doe", "BPD"), ("john_roe", "NT")):
        for i in range(2):
            save_png(src / patient / f"{plane}_{i}.png", phantom.generate(plane, i, seed=6))
    return tmp_path


def run(repo, *argv) -> int:
    args = ["--params", repo / "params.yaml", "--sweep-metrics", repo / "metrics/threshold_sweep.json"]
    args += ["--sweep-plots", repo / "plots/threshold_sweep"]
    with pytest.raises(SystemExit) as exited:
        main([str(a) for a in ["evaluate", *argv, *args]])
        raise SystemExit(0)
    return exited.value.code


def test_evaluate_scores_every_readable_scan_by_patient_and_names_no_file(repo, model_path, capsys):
    (repo / "scans/john_roe/broken.png").write_text("not an image")
    out, curves = repo / "evaluation.json", repo / "curves"
    code = run(repo, repo / "scans", "--model", model_path, "-r", "--group-by", "subfolder", "--copies", 2,
               "--json", out, "--curves", curves)  # fmt: skip
    assert code == 1  # the broken file: named on stderr, not counted
    captured = capsys.readouterr()
    assert "unreadable, not counted: john_roe/broken.png" in captured.err
    metrics = json.loads(out.read_text())
    assert (metrics["scans"], metrics["subjects"], metrics["unreadable"]) == (4, 2, 1)
    levels_from_thresholds = metrics["corrupted_copies"] / (4 * 2)
    assert levels_from_thresholds == int(levels_from_thresholds) > 0
    assert metrics["false_alarms"]["n"] == 4 and metrics["detection"]["n"] == metrics["corrupted_copies"]
    flagged = [p["detection"]["value"] for p in metrics["operating_points"]]
    assert flagged == sorted(flagged, reverse=True)  # a higher --threshold never flags more
    assert "jane" not in out.read_text() and "john" not in out.read_text()
    tables = [pd.read_csv(curves / f"{name}.csv") for name in ("scale_up", "blur", "noise")]
    for table in tables:  # real_eval's curve columns, the scans first at intensity 0
        assert list(table.columns) == CURVE_COLUMNS
        assert table["intensity"].iloc[0] == 0 and table["images"].iloc[0] == 4
    assert sum(table["images"].iloc[1:].sum() for table in tables) == metrics["corrupted_copies"]
    assert "usqc clean --threshold" in captured.out


def only_broken_files(repo):
    for path in (repo / "scans").rglob("*.png"):
        path.write_bytes(b"")


@pytest.mark.parametrize(
    ("setup", "argv", "message"),
    [
        (only_broken_files, [], "none of the 4 matching files could be read"),
        (lambda r: (r / "metrics/threshold_sweep.json").unlink(), [], "dvc repro threshold_sweep"),
        (lambda r: None, ["--group-by", "pattern"], "does not match --group-pattern"),
        (lambda r: None, ["--copies", 0], "--copies and --batch-size must be >= 1"),
        (lambda r: None, ["--pattern", "*.nii"], "no files match *.nii"),
    ],
)
def test_bad_input_is_one_line_exit_2_and_no_output(repo, model_path, capsys, setup, argv, message):
    setup(repo)
    out = repo / "evaluation.json"
    assert run(repo, repo / "scans", "--model", model_path, "-r", "--json", out, "--curves", repo / "c", *argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error:") and message in err[0]
    assert not out.exists() and not (repo / "c").exists()
