"""Loading a trained corruption classifier (`models/<arch>.keras`) for inference."""

from __future__ import annotations

from pathlib import Path

import keras

from usqc import corruptions
from usqc.errors import UsqcError


def load_classifier(path: str | Path, image_size: int | None = None) -> keras.Model:
    """The saved model, checked to classify C.LABELS (and, if given, to take `image_size` px inputs)."""
    path = Path(path)
    if not path.is_file():
        raise UsqcError(f"{path}: model not found; train it first (dvc repro train_xception) or give --model")
    try:
        model = keras.saving.load_model(path, compile=False)
    except Exception as exc:  # Keras raises many types for a file that is not a model
        raise UsqcError(f"{path}: not a readable Keras model ({type(exc).__name__}); give a .keras file") from None
    size, classes = model.input_shape[1], model.output_shape[-1]
    if classes != len(corruptions.LABELS):
        raise UsqcError(f"{path}: has {classes} outputs, not the {len(corruptions.LABELS)} corruption classes")
    if image_size is not None and size != image_size:
        raise UsqcError(f"{path} takes {size} px images but base.image_size is {image_size}; rerun its training stage")
    return model
