"""One model code on two Keras backends: a model saved on one predicts the same on the other."""

import json
import os
import subprocess
import sys
from pathlib import Path

import keras
import numpy as np
import pytest

from tests.conftest import REPO
from usqc import backend
from usqc.errors import UsqcError

BACKENDS = ("tensorflow", "jax")
PROBE = Path(__file__).with_name("backend_probe.py")


def probe(action: str, path: Path, backend: str) -> dict:
    env = {**os.environ, "KERAS_BACKEND": backend, "PYTHONPATH": str(REPO)}
    done = subprocess.run([sys.executable, str(PROBE), action, str(path)], capture_output=True, text=True, env=env)
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["backend"] == backend  # the variable took effect: not two runs of one backend
    return result


@pytest.mark.parametrize("saver", BACKENDS)
def test_a_model_saved_on_one_backend_predicts_the_same_on_the_other(tmp_path, saver):
    path = tmp_path / "model.keras"
    saved = probe("save", path, saver)
    (loader,) = set(BACKENDS) - {saver}
    loaded = probe("predict", path, loader)
    probabilities = np.array(saved["probabilities"])
    assert probabilities.std(axis=0).max() > 1e-3  # the inputs give different answers: a real comparison
    np.testing.assert_allclose(loaded["probabilities"], probabilities, atol=1e-4)
    # Input gradients through the whole network agree to float32 rounding almost everywhere; where a
    # max pool has a tie (or a ReLU input sits at 0) the backends may route the gradient differently,
    # and deep in the network that reaches many pixels (measured: 0.5 % of pixels off by up to 0.011
    # on an Intel Xeon; on an AMD EPYC 18 % of one map's pixels, by up to 0.0094, correlation 0.99991).
    # Another model's maps correlate at about 0.2.
    for loaded_map, saved_map in zip(np.array(loaded["saliency"]), np.array(saved["saliency"]), strict=True):
        assert np.corrcoef(loaded_map.ravel(), saved_map.ravel())[0, 1] > 0.999
        assert np.abs(loaded_map - saved_map).max() < 0.03


def test_a_backend_without_a_usqc_path_is_refused_with_the_remedy(monkeypatch):
    monkeypatch.setattr(keras.backend, "backend", lambda: "torch")
    with pytest.raises(
        UsqcError, match=r"KERAS_BACKEND=torch is not supported.*set KERAS_BACKEND to tensorflow or jax"
    ):
        backend.make_deterministic(0)


AMX_CPU = "processor\t: 0\nflags\t\t: fpu sse avx512f avx512_bf16 amx_bf16 amx_tile\n"
AVX512_BF16_CPU = "processor\t: 0\nflags\t\t: fpu sse avx512f avx512_bf16\n"  # AMD Zen 4
AVX512_CPU = "processor\t: 0\nflags\t\t: fpu sse avx2 avx512f avx512_vnni\n"


def test_auto_precision_is_bfloat16_only_where_bfloat16_instructions_make_the_architecture_faster(
    tmp_path, monkeypatch
):
    for cpu, text in [("amx", AMX_CPU), ("avx512_bf16", AVX512_BF16_CPU), ("avx512", AVX512_CPU)]:
        (tmp_path / cpu).write_text(text)
    assert backend.cpu_has_bfloat16_instructions(tmp_path / "amx")
    assert backend.cpu_has_bfloat16_instructions(tmp_path / "avx512_bf16")
    assert not backend.cpu_has_bfloat16_instructions(tmp_path / "avx512")  # emulated bfloat16: 3.6x slower
    assert not backend.cpu_has_bfloat16_instructions(tmp_path / "missing")  # no /proc: float32
    monkeypatch.setenv("TF_ENABLE_ONEDNN_OPTS", "0")  # TensorFlow without oneDNN has no bfloat16 kernels
    assert not backend.cpu_has_bfloat16_instructions(tmp_path / "amx")
    monkeypatch.delenv("TF_ENABLE_ONEDNN_OPTS")
    monkeypatch.setattr(keras.backend, "backend", lambda: "jax")  # XLA on a CPU: no gain measured
    assert not backend.cpu_has_bfloat16_instructions(tmp_path / "amx")
    monkeypatch.undo()

    monkeypatch.setattr(backend, "cpu_has_bfloat16_instructions", lambda: True)
    assert backend.dtype_policy("auto", gpus=False, bfloat16_on_cpu=True) == "mixed_bfloat16"
    assert backend.dtype_policy("auto", gpus=False, bfloat16_on_cpu=False) == "float32"  # Xception: no reliable gain
    assert backend.dtype_policy("auto", gpus=True, bfloat16_on_cpu=True) == "mixed_float16"
    assert backend.dtype_policy("float32", gpus=False, bfloat16_on_cpu=True) == "float32"  # explicit wins
    monkeypatch.setattr(backend, "cpu_has_bfloat16_instructions", lambda: False)
    assert backend.dtype_policy("auto", gpus=False, bfloat16_on_cpu=True) == "float32"
