"""Saving models reproducibly, and loading a trained corruption classifier for inference."""

from __future__ import annotations

import json
import os
import re
import zipfile
from pathlib import Path

import keras

from usqc import corruptions
from usqc.calibration import TemperatureSoftmax
from usqc.errors import UsqcError
from usqc.guard import DomainGuard
from usqc.models import Mirror


def load_classifier(path: str | Path, image_size: int | None = None) -> keras.Model:
    """The saved model, checked to classify C.LABELS (and, if given, to take `image_size` px inputs)."""
    path = Path(path)
    if not path.is_file():
        raise UsqcError(f"{path}: model not found; train it first (dvc repro train_xception) or give --model")
    try:
        custom = {"usqc>DomainGuard": DomainGuard, "usqc>TemperatureSoftmax": TemperatureSoftmax, "usqc>Mirror": Mirror}
        model = keras.saving.load_model(path, compile=False, custom_objects=custom)
    except Exception as exc:  # Keras raises many types for a file that is not a model
        raise UsqcError(f"{path}: not a readable Keras model ({type(exc).__name__}); give a .keras file") from None
    size, classes = model.input_shape[1], model.output_shape[-1]
    if classes != len(corruptions.LABELS):
        raise UsqcError(f"{path}: has {classes} outputs, not the {len(corruptions.LABELS)} corruption classes")
    if image_size is not None and size != image_size:
        raise UsqcError(f"{path} takes {size} px images but base.image_size is {image_size}; rerun its training stage")
    return model


def save_model(model: keras.Model, path: str | Path) -> None:
    """`model.save(path)` with what inference needs only, made byte-reproducible: Keras writes the
    save time, Python object ids (memory addresses) and zip entry times into a .keras file, so the
    same weights would hash differently on every run and DVC would see a new model."""
    path = Path(path)
    inference_model(model).save(path)
    with zipfile.ZipFile(path) as archive:
        entries = [(info, archive.read(info.filename)) for info in archive.infolist()]
    fixed = path.with_name(path.name + ".fixed")
    with zipfile.ZipFile(fixed, "w") as archive:
        for info, data in entries:
            if info.filename == "metadata.json":
                data = json.dumps({k: v for k, v in json.loads(data).items() if k != "date_saved"}).encode()
            elif info.filename == "config.json":
                data = _renumber_shared_objects(data.decode()).encode()
            entry = zipfile.ZipInfo(info.filename, date_time=(1980, 1, 1, 0, 0, 0))
            entry.compress_type, entry.external_attr = info.compress_type, info.external_attr
            archive.writestr(entry, data)
    os.replace(fixed, path)


def inference_model(model: keras.Model) -> keras.Model:
    """`model`, or if it was compiled an uncompiled copy with its config and weights: Keras saves a
    compiled model's optimizer state too (Adam's two moments, twice the weights: 317 of the 481 MB
    of a float32 Xception's file), which no prediction reads and every load would."""
    if getattr(model, "optimizer", None) is None:
        return model
    copy = keras.Model.from_config(model.get_config())
    copy.set_weights(model.get_weights())
    return copy


def _renumber_shared_objects(config: str) -> str:
    """Replace each shared_object_id (an id() of the moment) by its order of first appearance."""
    order: dict[str, int] = {}

    def ordinal(match: re.Match) -> str:
        return f'"shared_object_id": {order.setdefault(match.group(1), len(order) + 1)}'

    return re.sub(r'"shared_object_id": (\d+)', ordinal, config)
