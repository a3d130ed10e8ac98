"""Run by test_backends.py in a fresh process (Keras picks its backend once, at import):

    backend_probe.py save PATH     build a small calibrated Xception classifier and save it
    backend_probe.py predict PATH  load it

Both then print, as JSON, the backend and the model's class probabilities and gradient saliency
maps of fixed inputs. The saved model has BatchNorm statistics from a recalibration pass on this
backend, a temperature of 1.7 and class biases, so loading on the other backend checks every saved weight.
"""

import json
import sys

import usqc.quiet_start  # noqa: F401

# isort: split
import keras
import numpy as np

from usqc.backend import make_deterministic
from usqc.calibration import PROBABILITIES
from usqc.models import build
from usqc.saliency import gradient_saliency
from usqc.saved_models import load_classifier, save_model
from usqc.training import predict, recalibrate

SIZE = 71  # Xception's smallest input


def fixed_images() -> np.ndarray:
    return np.random.default_rng(0).integers(0, 256, (6, SIZE, SIZE), dtype=np.uint8)


def main() -> None:
    action, path = sys.argv[1:3]
    images = fixed_images()
    make_deterministic(0)
    if action == "save":
        model = build("xception", SIZE, 4, "none")
        recalibrate(model, images, np.arange(len(images)), batch_size=4, seed=0)
        model.get_layer(PROBABILITIES).temperature.assign(1.7)
        model.get_layer(PROBABILITIES).bias.assign(np.array([0.0, 0.4, -0.3, 0.2], np.float32))
        save_model(model, path)
    else:
        model = load_classifier(path)
    probabilities = predict(model, images, batch_size=4)
    maps = gradient_saliency(model, images, probabilities.argmax(axis=1))
    print(json.dumps({"backend": keras.backend.backend(), "probabilities": probabilities.tolist(),
                      "saliency": maps.tolist()}))  # fmt: skip


if __name__ == "__main__":
    main()
