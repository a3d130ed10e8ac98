import numpy as np
import pytest
from PIL import Image

from tests.conftest import save_png
from usqc.errors import UsqcError
from usqc.imageio import read_gray, resize_square
from usqc.sources import folder_items, phantom_items

PLANES = ("BPD", "CRL", "NT")


def test_flat_folder_classes_from_name_prefix(tmp_path, gradient):
    for name in ("BPD_001.png", "bpd-2.png", "CRL7.jpg", "NT_a.png", ".DS_Store", ".hidden.png"):
        if name.startswith(".DS"):
            (tmp_path / name).write_bytes(b"junk")
        else:
            save_png(tmp_path / name, gradient) if name.endswith(".png") else Image.fromarray(gradient).save(
                tmp_path / name
            )
    items = folder_items(tmp_path, PLANES)
    assert [(i.image_id, i.plane) for i in items] == [
        ("BPD_00001", "BPD"),
        ("BPD_00002", "BPD"),
        ("CRL_00001", "CRL"),
        ("NT_00001", "NT"),
    ]
    assert all(i.group_id == i.image_id for i in items)
    assert items[2].pixels().shape == gradient.shape


def test_one_sub_folder_per_class(tmp_path, gradient):
    for plane in ("BPD", "crl"):
        for k in range(2):
            save_png(tmp_path / plane / f"patient_smith_{k}.png", gradient)
    items = folder_items(tmp_path, PLANES)
    assert [i.plane for i in items] == ["BPD", "BPD", "CRL", "CRL"]
    assert not any("smith" in i.image_id for i in items)  # ids never carry file names


@pytest.mark.parametrize(
    ("layout", "message"),
    [
        ({"XYZ_001.png": "png"}, "XYZ_001.png: name does not start with a class (BPD, CRL, NT)"),
        ({"BPD_001.png": "png", "BPD_notes.txt": "text"}, "BPD_notes.txt: not an image file"),
        ({"HC/a.png": "png"}, "HC: sub-folder is not a class"),
        ({"BPD/a.png": "png", "NT_1.png": "png"}, "NT_1.png: a file beside class sub-folders"),
        ({".only_hidden.png": "png"}, "no images found"),
        ({}, "no images found"),
    ],
)
def test_folder_problems_name_the_file(tmp_path, gradient, layout, message):
    for name, kind in layout.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        save_png(path, gradient) if kind == "png" else path.write_text("hello")
    with pytest.raises(UsqcError, match=message.replace("(", r"\(").replace(")", r"\)")):
        folder_items(tmp_path, PLANES)


def test_missing_folder_file_as_folder_and_unset_folder(tmp_path):
    with pytest.raises(UsqcError, match="folder not found; set ingest.folder.path"):
        folder_items(tmp_path / "nope", PLANES)
    (tmp_path / "BPD_1.png").write_bytes(b"")
    with pytest.raises(UsqcError, match="a file, not a folder; set ingest.folder.path"):
        folder_items(tmp_path / "BPD_1.png", PLANES)
    with pytest.raises(UsqcError, match="ingest.folder.path is empty"):
        folder_items(None, PLANES)


def test_phantom_items_group_one_patient_across_planes():
    items = phantom_items(PLANES, 4, seed=1)
    assert len(items) == 12 and {i.group_id for i in items if i.plane == "NT"} == {f"patient_{k:05d}" for k in range(4)}
    with pytest.raises(UsqcError, match="cannot make HC"):
        phantom_items(("BPD", "HC"), 2, seed=1)


@pytest.mark.parametrize(
    ("content", "reason"),
    [(b"", "cannot read image"), (b"this is text, not a PNG", "cannot read image")],
)
def test_unreadable_files_give_one_clear_line(tmp_path, content, reason):
    path = tmp_path / "BPD_1.png"
    path.write_bytes(content)
    with pytest.raises(UsqcError, match=reason) as err:
        read_gray(path)
    assert str(path) in str(err.value) and "\n" not in str(err.value)


def test_truncated_png_is_rejected(tmp_path, gradient):
    rng = np.random.default_rng(0)
    path = save_png(tmp_path / "BPD_1.png", rng.integers(0, 255, (200, 200), dtype=np.uint8))
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    with pytest.raises(UsqcError, match="BPD_1.png: cannot read image"):
        read_gray(path)


def test_modes_become_8_bit_gray(tmp_path, gradient):
    rgb = np.stack([gradient, gradient, gradient], axis=-1)
    Image.fromarray(np.dstack([rgb, np.full_like(gradient, 255)])).save(tmp_path / "rgba.png")
    Image.fromarray(gradient.astype(np.uint16) * 257).save(tmp_path / "deep.png")
    Image.fromarray(gradient).convert("P").save(tmp_path / "palette.png")
    for name in ("rgba.png", "deep.png", "palette.png"):
        gray = read_gray(tmp_path / name)
        assert gray.dtype == np.uint8 and gray.shape == gradient.shape
        assert np.abs(gray.astype(int) - gradient).max() <= 1, name


def test_resize_square_shrinks_with_area_averaging():
    checker = (np.indices((224, 224)).sum(axis=0) % 2 * 255).astype(np.uint8)
    small = resize_square(checker, 112)
    assert small.shape == (112, 112) and abs(int(small.mean()) - 127) <= 1 and small.std() < 2
