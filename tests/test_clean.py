"""`usqc clean` end to end on a tiny trained model and a folder of clean, corrupted and broken files."""

import os
import pickle
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import skimage.data
from PIL import Image

from tests.conftest import REPO, save_png
from tests.dicom_files import write_dicom
from usqc import clean, phantom
from usqc import corruptions as C
from usqc.backend import make_deterministic
from usqc.baseline import Baseline
from usqc.calibration import calibrate
from usqc.clean import (
    COLUMNS,
    DEFAULT_PATTERNS,
    SHEET_COLUMNS,
    decide,
    find_images,
    model_view,
    read_batches,
    sheet_rows,
)
from usqc.cli import main
from usqc.corrupt import Plan, corrupt_image
from usqc.corrupted_sets import originals_at
from usqc.imageio import resize_square
from usqc.models import build
from usqc.params import ThesisSampling
from usqc.saved_models import load_classifier, save_model
from usqc.training import fit

SIZE = 32


@pytest.fixture(scope="module")
def model_path(tmp_path_factory):
    """VGG16 at 32 px, one epoch on phantom originals and their noisy copies."""
    make_deterministic(0)
    clean = [resize_square(phantom.generate(p, i, seed=1), 224) for p in ("BPD", "NT") for i in range(6)]
    originals = list(originals_at(np.stack(clean), SIZE))
    rng = np.random.default_rng(0)
    noisy = [C.to_uint8(C.noise(C.to_float(o), 0.4, rng)) for o in originals]
    images = np.stack(originals + noisy)
    labels = np.array([0] * len(originals) + [3] * len(noisy))
    model = build("vgg16", SIZE, len(C.LABELS), "none")
    fit(model, images, labels, np.arange(len(images)), np.array([], int), epochs=1, batch_size=8,
        learning_rate=1e-4, seed=0)  # fmt: skip
    path = tmp_path_factory.mktemp("model") / "tiny.keras"
    model.save(path)
    return path


@pytest.fixture
def scans(tmp_path):
    """Readable images at the top and in a sub-folder, broken files, a hidden file and a text file."""
    src = tmp_path / "scans"
    raw = phantom.generate("BPD", 0, seed=3)
    save_png(src / "patient_a.png", raw)
    save_png(src / "noisy.png", C.to_uint8(C.noise(C.to_float(raw), 0.3, np.random.default_rng(1))))
    Image.fromarray(raw).convert("RGB").save(src / "jpeg_scan.jpg")
    save_png(src / "day2" / "patient_b.png", phantom.generate("NT", 1, seed=3))
    write_dicom(src / "exam.dcm", phantom.generate("CRL", 2, seed=3))
    (src / "broken.png").write_text("not an image")
    (src / "empty.png").write_bytes(b"")
    save_png(src / ".hidden.png", raw)
    (src / "notes.txt").write_text("ignored")
    return src


def run(*argv) -> int:
    with pytest.raises(SystemExit) as exited:
        main([str(a) for a in argv])
        raise SystemExit(0)
    return exited.value.code


def test_model_view_is_exactly_what_the_pipeline_stores(tmp_path):
    raw = phantom.generate("CRL", 2, seed=4)
    path = save_png(tmp_path / "scan.png", raw)
    clean = resize_square(raw, 224)
    plan = Plan(0, 72, ThesisSampling((75, 100), False, (1, 4), (0.1,)))
    np.testing.assert_array_equal(model_view(path, 224, 72), corrupt_image(clean, "x", plan).images[0])


def test_report_has_a_row_per_file_and_broken_files_do_not_stop_the_run(scans, model_path, tmp_path, capsys):
    out = tmp_path / "report.csv"
    assert run("clean", scans, "--model", model_path, "--out", out, "--batch-size", 2) == 1  # broken files
    report = pd.read_csv(out, keep_default_na=False)
    assert list(report.columns) == COLUMNS
    good = ["exam.dcm", "jpeg_scan.jpg", "noisy.png", "patient_a.png"]
    assert sorted(report["path"]) == sorted(["broken.png", "empty.png", *good])
    broken = report[report["path"].isin(["broken.png", "empty.png"])]
    assert (broken["decision"] == "error").all() and broken["error"].str.contains("cannot read image").all()
    readable = report[report["decision"] != "error"]
    probabilities = readable[[f"p_{c}" for c in C.LABELS]].astype(float)
    assert np.allclose(probabilities.sum(axis=1), 1, atol=1e-3)
    assert (readable["predicted"] == probabilities.idxmax(axis=1).str[2:]).all()
    assert (readable["error"] == "").all() and (readable["action"] == "").all()
    table = capsys.readouterr().out
    assert "unreadable" in table and "flag" in table


@pytest.fixture(scope="module")
def baseline_path(tmp_path_factory):
    """The classical baseline at 32 px, fitted on phantom originals and one copy per corruption of 8
    patients, calibrated and guarded by cross-fitting; beside it the same trees unguarded."""
    clean = np.stack([resize_square(phantom.generate(p, i, seed=1), 224) for p in ("BPD", "NT") for i in range(4)])
    originals = originals_at(clean, SIZE)
    rng = np.random.default_rng(0)
    copies = [
        C.to_uint8(C.REGISTRY[name].apply(C.to_float(c), intensity, rng, SIZE))
        for name, intensity in (("scale_up", 0.5), ("blur", 3), ("noise", 0.4))
        for c in clean
    ]
    images = np.concatenate([originals, np.stack(copies)])
    labels = np.repeat(np.arange(len(C.LABELS)), len(clean))
    folder = tmp_path_factory.mktemp("baseline")
    groups = np.tile(np.arange(len(clean)), len(C.LABELS))
    Baseline(SIZE, max_iter=5, learning_rate=0.1, seed=0).fit(images, labels, groups).save(folder / "baseline.pkl")
    Baseline(SIZE, max_iter=5, learning_rate=0.1, seed=0).fit(images, labels).save(folder / "unguarded.pkl")
    return folder / "baseline.pkl"


def test_the_default_model_is_the_baseline_which_cleans_without_keras_and_with_its_own_guard(
    scans, baseline_path, tmp_path
):
    out = tmp_path / "report.csv"
    (tmp_path / "models").mkdir()
    shutil.copy(baseline_path, tmp_path / "models" / "baseline.pkl")  # where dvc repro puts it
    script = (
        "import os, sys\nfrom usqc.cli import main\ntry:\n    main(sys.argv[1:])\nfinally:\n"
        "    if 'keras' in sys.modules or 'tensorflow' in sys.modules:\n        os._exit(99)\n"
    )
    argv = ["clean", Path(scans).resolve(), "--out", out, "-r"]  # no --model
    done = subprocess.run([sys.executable, "-c", script, *map(str, argv)], capture_output=True, text=True,
                          cwd=tmp_path, env={**os.environ, "PYTHONPATH": str(REPO)})  # fmt: skip
    assert done.returncode == 1, done.stderr  # the broken files; Keras never loaded
    report = pd.read_csv(out, keep_default_na=False)
    readable = report[report["decision"] != "error"]
    assert len(readable) == 5 and set(readable["decision"]) <= {"keep", "flag", "out_of_domain"}
    assert np.isfinite(readable["domain_score"].astype(float)).all()
    probabilities = readable[[f"p_{c}" for c in C.LABELS]].astype(float)
    assert np.allclose(probabilities.sum(axis=1), 1, atol=1e-3)
    assert "has no domain guard" not in done.stdout


def test_a_baseline_without_a_guard_says_so_and_never_rejects(scans, baseline_path, tmp_path, capsys):
    out = tmp_path / "report.csv"
    assert run("clean", scans, "--model", baseline_path.with_name("unguarded.pkl"), "--out", out, "-r") == 1
    readable = pd.read_csv(out, keep_default_na=False).query("decision != 'error'")
    assert len(readable) == 5 and set(readable["decision"]) <= {"keep", "flag"}
    assert (readable["domain_score"] == "").all()
    assert "has no domain guard" in capsys.readouterr().out


def test_a_pickle_that_is_not_a_baseline_is_refused(scans, tmp_path, capsys):
    fake = tmp_path / "model.pkl"
    fake.write_bytes(pickle.dumps({"not": "a model"}))
    assert run("clean", scans, "--model", fake, "--out", tmp_path / "report.csv") == 2
    (err,) = capsys.readouterr().err.strip().splitlines()
    assert "not a usqc baseline model" in err and not (tmp_path / "report.csv").exists()


def test_the_report_does_not_depend_on_the_reader_threads(scans, model_path, tmp_path):
    reports = []
    for readers in (0, 1, 3):
        out = tmp_path / f"report_{readers}.csv"
        run("clean", scans, "--model", model_path, "--out", out, "-r", "--batch-size", 2, "--readers", readers)
        reports.append(out.read_bytes())
    assert reports[0] == reports[1] == reports[2]


def test_readers_stay_one_batch_ahead_and_keep_the_path_order(scans, monkeypatch):
    """The threads read the next batch, never more: memory stays two batches whatever the folder's size."""
    read = []
    view = clean.model_view
    monkeypatch.setattr(clean, "model_view", lambda path, *args: read.append(path) or view(path, *args))
    paths = find_images(scans, DEFAULT_PATTERNS, recursive=True)  # 7 files, 2 unreadable
    batches = read_batches(paths, 224, SIZE, batch_size=2, readers=3)
    first = next(batches)
    time.sleep(0.5)  # room for threads that would read further ahead than they should
    assert first.paths == paths[:2] and len(read) <= 4
    rest = list(batches)
    assert [p for b in [first, *rest] for p in b.paths] == paths
    expected = list(read_batches(paths, 224, SIZE, batch_size=2, readers=0))
    for got, want in zip([first, *rest], expected, strict=True):
        assert got.errors == want.errors
        np.testing.assert_array_equal(np.stack(got.images), np.stack(want.images))


def test_the_sheet_shows_the_surest_flagged_files_per_class_then_the_out_of_domain_ones():
    n = SHEET_COLUMNS + 3
    table = pd.DataFrame(
        {
            "decision": ["flag"] * n + ["keep", "out_of_domain", "out_of_domain", "error", "flag"],
            "predicted": ["noise"] * n + ["blur", "blur", "noise", "", "scale_up"],
            "p_original": [*np.linspace(0.4, 0.0, n), 0.1, 0.5, 0.5, np.nan, 0.2],
            "domain_score": [0.5] * (n + 1) + [1.2, 3.0, np.nan, 0.9],
        }
    )
    rows = sheet_rows(table)
    assert list(rows) == ["flagged scale_up", "flagged noise", "out_of_domain"]  # no flagged blur or original
    assert rows["flagged noise"] == list(range(n - 1, n - 1 - SHEET_COLUMNS, -1))  # surest first, capped
    assert rows["flagged scale_up"] == [n + 4] and rows["out_of_domain"] == [n + 2, n + 1]


def test_the_sheet_is_drawn_before_files_move_and_only_when_something_is_shown(scans, model_path, tmp_path, capsys):
    dest, sheet = tmp_path / "quarantine", tmp_path / "sheet.png"
    common = ["--model", model_path, "-r", "--out", tmp_path / "report.csv", "--sheet", sheet]
    run("clean", scans, *common, "--threshold", 1.0)  # an unguarded model that flags nothing
    assert not sheet.exists() and "not written, no file was flagged" in capsys.readouterr().out
    run("clean", scans, *common, "--threshold", 0.001, "--move", dest)  # flags every readable file
    report = pd.read_csv(tmp_path / "report.csv", keep_default_na=False)
    assert (report["action"] == "moved").sum() == 5
    drawn = np.asarray(Image.open(sheet))
    assert drawn.ndim == 3 and drawn.shape[0] > 200 and drawn.shape[1] > 200


def test_decision_follows_the_threshold_and_the_domain_score():
    table = pd.DataFrame(
        {
            "p_original": [0.9, 0.5, 0.2, 0.9, 0.1, np.nan],
            "domain_score": [0.5, 0.9, np.nan, 1.5, 3.0, np.nan],
            "error": ["", "", "", "", "", "cannot read"],
        }
    )
    assert decide(table, 0.5).tolist() == ["keep", "flag", "flag", "out_of_domain", "out_of_domain", "error"]
    assert decide(table, 0.75).tolist() == ["keep", "keep", "flag", "out_of_domain", "out_of_domain", "error"]


@pytest.fixture(scope="module")
def guarded_model_path(tmp_path_factory):
    """The tiny VGG16 of `model_path`, with its temperature and domain guard calibrated on phantom images."""
    make_deterministic(0)
    clean = [resize_square(phantom.generate(p, i, seed=5), 224) for p in ("BPD", "CRL", "NT") for i in range(8)]
    originals = originals_at(np.stack(clean), SIZE)
    rng = np.random.default_rng(1)
    noisy = np.stack([C.to_uint8(C.noise(C.to_float(o), 0.3, rng)) for o in originals])
    images = np.concatenate([originals, noisy])
    labels = np.array([0] * len(originals) + [3] * len(noisy))
    model = build("vgg16", SIZE, len(C.LABELS), "none")
    rows = np.arange(len(images))
    fit_rows, val_rows = rows[rows % 4 != 0], rows[rows % 4 == 0]
    fit(model, images, labels, fit_rows, val_rows, epochs=1, batch_size=8, learning_rate=1e-4, seed=0)
    calibrate(model, images, labels, fit_rows, val_rows, val_rows, quantile=0.99, seed=0, batch_size=8)
    path = tmp_path_factory.mktemp("guarded") / "guarded.keras"
    save_model(model, path)
    return path


def test_guard_temperature_and_biases_travel_inside_the_model_file(guarded_model_path):
    model = load_classifier(guarded_model_path)
    assert model.get_layer("domain_guard").calibrated
    assert model.get_layer("probabilities").temperature.numpy() != 1.0
    assert (model.get_layer("probabilities").bias.numpy() != 0).any()


def test_non_ultrasound_inputs_are_out_of_domain_and_never_copied(guarded_model_path, tmp_path, capsys):
    src = tmp_path / "mixed"
    save_png(src / "black.png", np.zeros((300, 400), np.uint8))
    save_png(src / "white.png", np.full((300, 400), 255, np.uint8))
    save_png(src / "strip.png", np.random.default_rng(0).integers(0, 256, (1, 5000), dtype=np.uint8))
    save_png(src / "camera.png", skimage.data.camera())
    out, dest = tmp_path / "r.csv", tmp_path / "quarantine"
    assert run("clean", src, "--model", guarded_model_path, "--out", out, "--copy", dest, "--threshold", 1e-9) == 0
    report = pd.read_csv(out, keep_default_na=False).set_index("path")
    assert (report["domain_score"].astype(float) > 1).sum() >= 3
    outside = report.index[report["decision"] == "out_of_domain"]
    assert {"black.png", "white.png", "strip.png"} <= set(outside)
    assert (report.loc[outside, "action"] == "").all() and not any((dest / name).exists() for name in outside)
    printed = capsys.readouterr().out
    assert "out_of_domain" in printed and "unlabelled.source=folder" in printed


def test_copy_keeps_originals_and_relative_paths(scans, model_path, tmp_path):
    before = {p: p.read_bytes() for p in scans.rglob("*") if p.is_file()}
    out, dest = tmp_path / "r.csv", tmp_path / "quarantine"
    shutil.move(scans / "broken.png", tmp_path)
    (scans / "empty.png").unlink()
    code = run("clean", scans, "--model", model_path, "--out", out, "--copy", dest, "--threshold", 1e-9, "-r")
    assert code == 0
    report = pd.read_csv(out, keep_default_na=False)
    assert "day2/patient_b.png" in set(report["path"])
    assert (report["decision"] == "flag").all() and (report["action"] == "copied").all()
    for relative in report["path"]:
        assert (dest / relative).read_bytes() == before[scans / relative]
        assert (scans / relative).read_bytes() == before[scans / relative]


def test_move_takes_flagged_files_out_and_dry_run_touches_nothing(scans, model_path, tmp_path):
    dest = tmp_path / "quarantine"
    listing = sorted(p for p in scans.rglob("*"))
    assert run("clean", scans, "--model", model_path, "--out", tmp_path / "dry.csv", "--move", dest,
               "--threshold", 1e-9, "--dry-run") == 1  # fmt: skip
    assert sorted(p for p in scans.rglob("*")) == listing and not dest.exists()
    dry = pd.read_csv(tmp_path / "dry.csv", keep_default_na=False)
    assert set(dry.loc[dry["decision"] == "flag", "action"]) == {"would move"}
    run("clean", scans, "--model", model_path, "--out", tmp_path / "r.csv", "--move", dest, "--threshold", 1e-9)
    moved = pd.read_csv(tmp_path / "r.csv", keep_default_na=False)
    flagged = moved.loc[moved["decision"] == "flag", "path"]
    assert len(flagged) == 4 and (moved.loc[moved["decision"] == "flag", "action"] == "moved").all()
    for relative in flagged:
        assert (dest / relative).is_file() and not (scans / relative).exists()
    assert (scans / "broken.png").exists() and (scans / "day2/patient_b.png").exists()


@pytest.mark.parametrize(
    ("make_args", "message"),
    [
        (lambda src, m: [src / "missing", "--model", m], "folder not found"),
        (lambda src, m: [src / "notes.txt", "--model", m], "a file, not a folder"),
        (lambda src, m: [src, "--model", src / "none.keras"], "model not found"),
        (lambda src, m: [src, "--model", m, "--pattern", "*.nii"], "no files match *.nii"),
        (lambda src, m: [src, "--model", m, "--threshold", 0], "--threshold must be in (0, 1]"),
        (lambda src, m: [src, "--model", src / "notes.txt"], "not a readable Keras model"),
        (lambda src, m: [src, "--model", m, "--readers", -1], "--readers >= 0"),
    ],
)
def test_bad_input_is_one_line_exit_2_and_no_report(scans, model_path, tmp_path, capsys, make_args, message):
    out = tmp_path / "report.csv"
    assert run("clean", *make_args(scans, model_path), "--out", out) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error:") and message in err[0]
    assert not out.exists()


def test_corrupt_command_writes_the_corrupted_image_and_its_ssim(tmp_path, capsys):
    src = save_png(tmp_path / "scan.png", phantom.generate("BPD", 3, seed=2))
    assert run("corrupt", src, "--kind", "blur", "--intensity", 4, "-o", tmp_path / "blur.png", "--size", 72) == 0
    assert np.asarray(Image.open(tmp_path / "blur.png")).shape == (72, 72)
    ssim = float(capsys.readouterr().out.rsplit("SSIM ", 1)[1])
    assert 0.3 < ssim < 0.95


def test_help_names_every_command(capsys):
    assert run("--help") == 0
    text = capsys.readouterr().out
    assert all(command in text for command in ("clean", "evaluate", "corrupt", "phantom", "diff", "targets", "plots"))


def test_find_images_skips_the_quarantine_however_it_is_named(tmp_path, monkeypatch):
    for name in ("a.png", "sub/b.png", "quarantine/c.png", ".hidden/d.png"):
        save_png(tmp_path / "scans" / name, np.zeros((8, 8), np.uint8))
    monkeypatch.chdir(tmp_path)
    found = find_images(Path("scans"), DEFAULT_PATTERNS, recursive=True, exclude=tmp_path / "scans" / "quarantine")
    assert [p.as_posix() for p in found] == ["scans/a.png", "scans/sub/b.png"]
    assert [p.name for p in find_images(Path("scans"), ("*.PNG",), recursive=False)] == ["a.png"]
