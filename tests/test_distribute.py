"""The training stages' multi-device path (distribute: all), run over two CPU devices: TensorFlow's
MirroredStrategy over two logical devices, JAX's DataParallel over two host-platform devices."""

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

SCRIPT = Path(__file__).with_name("two_devices.py")


def run_two_devices(precision: str, backend: str = "tensorflow") -> dict:
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "KERAS_BACKEND": backend,
           "XLA_FLAGS": "--xla_force_host_platform_device_count=2"}  # fmt: skip
    done = subprocess.run([sys.executable, str(SCRIPT), precision], capture_output=True, text=True, env=env)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("backend", ["tensorflow", "jax"])
def test_two_replicas_train_like_one_device_and_the_saved_model_predicts_the_same(backend):
    result = run_two_devices("float32", backend)
    assert result["backend"] == backend and result["replicas"] == 2 and len(set(result["devices"])) == 2
    assert result["compute_dtype"] == "float32"
    # Same weights, same images: the two half-batch gradients summed differ from the whole-batch
    # gradient only by float32 rounding order (~1e-7 relative per op), over three Adam steps.
    np.testing.assert_allclose(result["loss_two_devices"], result["loss_one_device"], rtol=1e-5)
    assert result["reload_max_difference"] <= 1e-6


def test_mixed_bfloat16_trains_over_two_replicas_with_float32_probabilities():
    result = run_two_devices("mixed_bfloat16")
    assert result["compute_dtype"] == "bfloat16" and result["output_dtype"] == "float32"
    assert np.isfinite(result["loss_two_devices"]).all()
    # bfloat16 keeps 8 significant bits (~0.4 %): the two runs round differently, not more.
    np.testing.assert_allclose(result["loss_two_devices"], result["loss_one_device"], rtol=2e-2)
