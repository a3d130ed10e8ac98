"""The corruption classifiers that ssim_eval and real_eval score side by side: the two CNNs and the
classical baseline, each as a function from uint8 gray images to class ids (C.LABELS order), and
each guarded one's domain scores (above 1: out of domain)."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from pathlib import Path

import keras
import numpy as np

from usqc.baseline import Baseline, load_baseline
from usqc.calibration import predict_guarded
from usqc.saved_models import load_classifier
from usqc.training import predict

CNNS = ("vgg16", "xception")
BASELINE = "baseline"


def class_ids(model: keras.Model, batch_size: int, images: np.ndarray) -> np.ndarray:
    return predict(model, images, batch_size).argmax(axis=1)


def cnn_domain_scores(model: keras.Model, batch_size: int, images: np.ndarray) -> np.ndarray:
    return predict_guarded(model, images, batch_size)[1]


def baseline_domain_scores(baseline: Baseline, images: np.ndarray) -> np.ndarray:
    return baseline.predict_guarded(images)[1]


Scorers = dict[str, Callable[[np.ndarray], np.ndarray]]


def load_scorers(models_dir: Path, image_size: int, batch_size: int) -> tuple[dict[str, keras.Model], Scorers, Scorers]:
    """The CNN models (for saliency), every classifier's scoring function, and the domain scores of
    every classifier with a guard (a baseline saved before its guard existed has none)."""
    cnns = {name: load_classifier(models_dir / f"{name}.keras", image_size) for name in CNNS}
    scorers = {name: partial(class_ids, model, batch_size) for name, model in cnns.items()}
    guards = {name: partial(cnn_domain_scores, model, batch_size) for name, model in cnns.items()}
    baseline = load_baseline(models_dir / f"{BASELINE}.pkl")
    scorers[BASELINE] = baseline.predict
    if baseline.guard is not None:
        guards[BASELINE] = partial(baseline_domain_scores, baseline)
    return cnns, scorers, guards
