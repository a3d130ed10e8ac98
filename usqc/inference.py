"""A trained corruption classifier as `usqc clean` and `usqc evaluate` use it, whatever its file.

- a `.keras` file (train_vgg16, train_xception): calibrated probabilities and the domain guard's
  scores, `usqc.calibration.predict_guarded`;
- a `.pkl` file (train_baseline): the classical baseline's calibrated probabilities and its own
  domain guard's scores (`usqc.baseline.Baseline.predict_guarded`; a baseline saved before the guard
  existed scores NaN: nothing is out of domain); it needs no Keras at all, so it starts in about a second.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import numpy as np

from usqc import corruptions as C
from usqc.errors import UsqcError

BASELINE_SUFFIX = ".pkl"


@dataclass(frozen=True)
class Classifier:
    predict: Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]]  # uint8 images -> probabilities, domain scores
    image_size: int  # the side of the images `predict` takes
    guarded: bool  # False: domain scores are NaN


def load(path: str | Path, batch_size: int) -> Classifier:
    """The classifier saved at `path`: a Keras model, or the baseline for a .pkl file."""
    path = Path(path)
    if path.suffix.lower() == BASELINE_SUFFIX:
        from usqc.baseline import load_baseline

        baseline = load_baseline(path)
        if len(baseline.classifier.classes_) != len(C.LABELS):
            raise UsqcError(f"{path}: the baseline was trained on fewer than the {len(C.LABELS)} classes; retrain it")
        return Classifier(baseline.predict_guarded, baseline.image_size, guarded=baseline.guard is not None)
    from usqc import quiet_start  # noqa: F401  (first: keeps TensorFlow's start-up lines off the terminal)

    # isort: split
    from usqc.calibration import predict_guarded
    from usqc.saved_models import load_classifier

    model = load_classifier(path)
    return Classifier(partial(predict_guarded, model, batch_size=batch_size), model.input_shape[1], guarded=True)
