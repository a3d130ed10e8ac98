"""Unlabelled real scans: the shipped HC18 sample's split, the ingest_unlabelled stage, the corrupt mix."""

import hashlib
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tests.conftest import HC18, TINY_PARAMS, errors_of, merged, run_stage, run_stages, save_png, write_params
from usqc import dataset, params
from usqc.corrupt import vary_original
from usqc.errors import UsqcError
from usqc.imageio import read_gray
from usqc.ingest import clean_pixels
from usqc.ingest_unlabelled import unlabelled_items
from usqc.real_sample import HC18_SUBJECT, group_of, hc18_split_table, read_split

HC18_SOURCE = {"source": "hc18", "hc18": {"path": str(HC18)}}


def unlabelled_params(source: str, path) -> params.UnlabelledParams:
    blocks = {} if path is None else {source: {"path": str(path)}}
    return params.parse_section(merged(TINY_PARAMS["unlabelled"], {"source": source, **blocks}), "unlabelled")


def test_the_committed_split_is_the_seeded_subject_split_with_a_third_held_out():
    committed = read_split(HC18)
    pd.testing.assert_frame_equal(committed, hc18_split_table(HC18))
    assert committed.groupby("subject")["part"].nunique().max() == 1
    subjects = committed.drop_duplicates("subject")
    assert (subjects["part"] == "eval").mean() >= 0.30
    assert len(committed) == len(list((HC18 / "images").glob("*.png"))) == 58


def test_the_attribution_travels_with_the_sample():
    readme = (HC18 / "README.md").read_text()
    assert "Creative Commons Attribution 4.0" in readme and "10.5281/zenodo.1327317" in readme
    assert "van den Heuvel" in readme


def test_subjects_come_from_hc18_names_and_other_groupings():
    assert group_of(Path("017_2HC.png"), "pattern", HC18_SUBJECT) == "017"
    path = Path("anna/scan1.png")
    assert group_of(path, "subfolder", "") == "anna" and group_of(path, "file", "") == "anna/scan1.png"
    with pytest.raises(UsqcError, match="does not match unlabelled.folder.group_pattern"):
        group_of(path, "pattern", r"^(\d+)_")


def _ingest(root, **unlabelled):
    write_params(root / "params.yaml", unlabelled=unlabelled)
    result = run_stage("ingest_unlabelled", "--out", "data/unlabelled", "--metrics", "m/u.json", cwd=root)
    return result


def test_no_real_eval_subject_is_ever_a_training_source(tmp_path):
    assert _ingest(tmp_path, **HC18_SOURCE).returncode == 0
    manifest = dataset.read_manifest(tmp_path / "data/unlabelled")
    split = read_split(HC18)
    assert len(manifest) == (split["part"] == "train").sum() and set(manifest["plane"]) == {"unlabelled"}
    # by subject: every training image's pixels belong to a real-train subject, none to a real-eval one
    digests = {}
    for row in split.itertuples():
        pixels = clean_pixels(read_gray(HC18 / "images" / row.filename), 96)
        digests[dataset.pixel_sha256(pixels)] = row.part
    assert {digests[d] for d in manifest["sha256"]} == {"train"}
    assert manifest["group_id"].nunique() == split.loc[split["part"] == "train", "subject"].nunique()


def test_a_folder_of_patients_is_grouped_by_subfolder_with_hashed_names(tmp_path, gradient):
    for patient in ("alice_smith", "bob_jones"):
        for k in range(3):
            save_png(tmp_path / "scans" / patient / f"{k}.png", np.roll(gradient, 7 * k + len(patient)))
    result = _ingest(tmp_path, source="folder", folder={"path": str(tmp_path / "scans")}, test_fraction=0.5)
    assert result.returncode == 0, result.stderr
    manifest = dataset.read_manifest(tmp_path / "data/unlabelled")
    assert manifest.groupby("group_id").size().tolist() == [3, 3]
    assert manifest.groupby("group_id")["split"].nunique().max() == 1 and set(manifest["split"]) == {"train", "test"}
    written = b"".join(p.read_bytes() for p in (tmp_path / "data/unlabelled").iterdir())
    written += (tmp_path / "m/u.json").read_bytes()
    assert b"alice" not in written and b"bob" not in written


@pytest.mark.parametrize(
    ("unlabelled", "needle"),
    [
        ({"source": "folder"}, "unlabelled.folder.path is empty"),
        ({"source": "folder", "folder": {"path": "missing"}}, "folder not found"),
        ({"source": "dicom", "dicom": {"path": "params.yaml"}}, "a file, not a folder; set unlabelled.dicom"),
        ({"source": "folder", "folder": {"path": "."}}, "no image files found"),
        ({"source": "hc18", "hc18": {"path": "."}}, "split.csv: split file missing"),
        ({"source": "nifti"}, "unlabelled.source must be one of"),
    ],
)
def test_bad_unlabelled_sources_are_one_line_and_write_nothing(tmp_path, unlabelled, needle):
    result = _ingest(tmp_path, **unlabelled)
    errors = errors_of(result)
    assert result.returncode == 2 and len(errors) == 1 and needle in errors[0], result.stderr
    assert not (tmp_path / "data").exists() and not (tmp_path / "m").exists()


def test_unlabelled_copies_join_the_corrupted_set_with_their_own_draws(tmp_path):
    tiny_real = tmp_path / "real"
    for name in sorted(p.name for p in (HC18 / "images").glob("*.png"))[:2]:
        tiny_real.mkdir(exist_ok=True)
        (tiny_real / name).write_bytes((HC18 / "images" / name).read_bytes())
    write_params(
        tmp_path / "params.yaml",
        ingest={"phantom": {"images_per_plane": 2}},
        unlabelled={"source": "folder", "folder": {"path": str(tiny_real), "group_by": "pattern"}},
        corrupt={"unlabelled_copies": 3},
    )
    run_stages(
        tmp_path,
        {
            "ingest": ("--metrics", "m/i.json", "--samples", "m/s.png"),
            "ingest_unlabelled": ("--metrics", "m/u.json"),
            "corrupt": ("--metrics", "m/c.json", "--examples", "m/e.png", "--ssim-table", "m/t.csv"),
        },
    )
    manifest = dataset.read_manifest(tmp_path / "data/corrupted")
    images = dataset.open_images(tmp_path / "data/corrupted")
    real = manifest[manifest["plane"] == "unlabelled"]
    assert len(real) == 2 * 3 * 4 and len(manifest) == 6 * 4 + len(real) and manifest["image_id"].is_unique
    assert json.loads((tmp_path / "m/c.json").read_text())["sources"] == {"labelled": 24, "unlabelled": 24}
    for _, rows in real.groupby("source_id"):
        for label in ("original", "noise"):
            hashes = {hashlib.sha256(images[i].tobytes()).hexdigest() for i in rows.index[rows["label"] == label]}
            assert len(hashes) == 3  # three copies: three variants of the original, three draws


def test_later_copies_vary_the_original_without_interpolating_it(gradient):
    variants = [vary_original(gradient, f"x_c{k}", seed=0) for k in range(1, 9)]
    assert np.array_equal(variants[0], vary_original(gradient, "x_c1", seed=0))
    assert len({v.tobytes() for v in variants}) == 8

    def monotone_image_of(source, variant):  # a grey map keeps the order of the grey levels
        order = np.argsort(source.ravel(), kind="stable")
        return bool((np.diff(variant.ravel()[order].astype(int)) >= 0).all())

    for variant in variants:  # each is the scan or its mirror under a monotone grey map
        assert monotone_image_of(gradient, variant) or monotone_image_of(gradient[:, ::-1], variant)


def test_no_copies_at_all_is_a_clear_error(tmp_path):
    write_params(tmp_path / "params.yaml", corrupt={"labelled_copies": 0, "unlabelled_copies": 0})
    run_stage("ingest", "--metrics", "m/i.json", "--samples", "m/s.png", cwd=tmp_path)
    run_stage("ingest_unlabelled", "--metrics", "m/u.json", cwd=tmp_path)
    result = run_stage("corrupt", "--metrics", "c.json", "--examples", "e.png", "--ssim-table", "t.csv", cwd=tmp_path)
    assert result.returncode == 2 and "raise corrupt.labelled_copies" in result.stderr
    assert not (tmp_path / "data/corrupted").exists()


def test_unlabelled_items_skip_hidden_files_and_read_dicom(tmp_path, gradient):
    from tests.dicom_files import write_dicom

    write_dicom(tmp_path / "p1" / "a.dcm", gradient)
    save_png(tmp_path / "p1" / ".hidden" / "b.png", gradient)
    items = unlabelled_items(unlabelled_params("dicom", tmp_path))
    assert [item.path.name for item in items] == ["a.dcm"] and items[0].pixels().shape == gradient.shape
    assert unlabelled_items(unlabelled_params("none", None)) == []
