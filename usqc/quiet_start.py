"""Start Keras without its backend's C++ start-up lines: import this first in an entry point.

TensorFlow (the default backend) writes a oneDNN notice, CUDA stub messages and, on a machine
without a GPU, a cuInit error to stderr before its logging is configured, so TF_CPP_MIN_LOG_LEVEL
cannot hide them. The import of Keras (which imports its backend) runs with file descriptor 2
pointed at a temporary file, replayed if the import fails. Where an NVIDIA driver is loaded,
TensorFlow's own errors (level 2) stay visible: they matter there. USQC_TF_VERBOSE=1 shows everything.
On another backend TensorFlow, where installed, is imported the same way: Keras' set_random_seed
imports it to seed it too.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import sys
import tempfile


def import_keras_quietly() -> None:
    if os.environ.get("USQC_TF_VERBOSE") or "keras" in sys.modules:
        return
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2" if os.path.exists("/proc/driver/nvidia/version") else "3")
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile() as capture:
        os.dup2(capture.fileno(), 2)
        try:
            import keras  # imports the backend

            if keras.backend.backend() != "tensorflow" and importlib.util.find_spec("tensorflow"):
                with contextlib.suppress(ImportError):  # a broken install: Keras then treats it as absent
                    import tensorflow  # noqa: F401
        except BaseException:
            _restore(saved)
            capture.seek(0)
            sys.stderr.write(capture.read().decode(errors="replace"))
            raise
        _restore(saved)


def _restore(saved: int) -> None:
    os.dup2(saved, 2)
    os.close(saved)


import_keras_quietly()
