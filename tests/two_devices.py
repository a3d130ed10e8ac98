"""Run by test_distribute.py in a fresh process: devices must be set before the backend starts.

Splits the CPU into two devices (TensorFlow: logical devices; JAX: XLA_FLAGS, set by the caller
before JAX loads), then trains the same tiny VGG16 (no BatchNorm, so
per-replica batch statistics cannot differ legitimately) with the stage's own distribution_for and
fit, once on one device and once over both; prints the losses, replicas and the saved model's
agreement as JSON. One batch holds the whole set: distributing a tf.data pipeline rewrites it,
and a multi-step epoch then sees the images in another order than on one device (measured:
first-batch losses 1.392 and 1.384 from the same weights), which is not what this checks.
"""

import json
import os
import sys
import tempfile
from pathlib import Path

if os.environ.get("KERAS_BACKEND", "tensorflow") == "tensorflow":
    import tensorflow as tf

    tf.config.set_logical_device_configuration(
        tf.config.list_physical_devices("CPU")[0], [tf.config.LogicalDeviceConfiguration()] * 2
    )

import keras  # noqa: E402
import numpy as np  # noqa: E402

from usqc.backend import distribution_for  # noqa: E402
from usqc.models import build  # noqa: E402
from usqc.saved_models import save_model  # noqa: E402
from usqc.training import fit, predict  # noqa: E402


def train(distribute: str, precision: str):
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (32, 32, 32), dtype=np.uint8)
    labels = np.arange(32) % 4
    distribution = distribution_for(distribute, precision, seed=0)
    with distribution.scope():
        model = build("vgg16", 32, 4, "none")
        history = fit(model, images, labels, np.arange(32), np.array([], int),
                      epochs=3, batch_size=32, learning_rate=1e-4, seed=0, distribution=distribution)  # fmt: skip
    return distribution, model, history.history["loss"], images


def main() -> None:
    precision = sys.argv[1]
    _, _, one_device, _ = train("off", precision)
    distribution, model, two_devices, images = train("all", precision)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "model.keras"
        save_model(model, path)
        loaded = keras.saving.load_model(path)
    # The trained model still belongs to the two-replica distribution, the loaded one does not: usqc's
    # inference must give both the same rows (predict_on_batch alone would repeat them per replica).
    in_memory = predict(model, images[:8])
    reloaded = predict(loaded, images[:8])
    print(json.dumps({
        "backend": keras.backend.backend(),
        "replicas": distribution.replicas,
        "devices": list(distribution.devices),
        "loss_one_device": [float(x) for x in one_device],
        "loss_two_devices": [float(x) for x in two_devices],
        "output_dtype": str(model.output.dtype),
        "compute_dtype": keras.mixed_precision.global_policy().compute_dtype,
        "reload_max_difference": float(np.abs(in_memory - reloaded).max()),
    }))  # fmt: skip


if __name__ == "__main__":
    main()
