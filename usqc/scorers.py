"""The corruption classifiers that ssim_eval and real_eval score side by side: the two CNNs and the
classical baseline, each as a function from uint8 gray images to class ids (C.LABELS order)."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from pathlib import Path

import keras
import numpy as np

from usqc.baseline import load_baseline
from usqc.saved_models import load_classifier
from usqc.training import predict

CNNS = ("vgg16", "xception")
BASELINE = "baseline"


def class_ids(model: keras.Model, batch_size: int, images: np.ndarray) -> np.ndarray:
    return predict(model, images, batch_size).argmax(axis=1)


def load_scorers(
    models_dir: Path, image_size: int, batch_size: int
) -> tuple[dict[str, keras.Model], dict[str, Callable[[np.ndarray], np.ndarray]]]:
    """The CNN models (for saliency and the domain guard) and every classifier's scoring function."""
    cnns = {name: load_classifier(models_dir / f"{name}.keras", image_size) for name in CNNS}
    scorers = {name: partial(class_ids, model, batch_size) for name, model in cnns.items()}
    scorers[BASELINE] = load_baseline(models_dir / f"{BASELINE}.pkl").predict
    return cnns, scorers
