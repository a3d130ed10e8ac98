"""What differs between Keras backends, in one place: devices, determinism, distribution, and the
two computations Keras has no backend-neutral API for (a compiled training-mode forward pass, and
gradients with respect to the input). KERAS_BACKEND picks the backend (Keras' own rule: the
environment variable, else ~/.keras/keras.json, else TensorFlow); usqc supports tensorflow and jax.
"""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import keras
import numpy as np

from usqc import streams
from usqc.errors import UsqcError

SUPPORTED = ("tensorflow", "jax")
# JAX multi-process: keras.distribution.initialize reads this with KERAS_DISTRIBUTION_JOB_ADDRESSES
# and KERAS_DISTRIBUTION_PROCESS_ID.
PROCESS_COUNT_ENV = "KERAS_DISTRIBUTION_NUM_PROCESSES"


def name() -> str:
    """The running Keras backend, refused with the remedy if usqc has no path for it."""
    backend = keras.backend.backend()
    if backend not in SUPPORTED:
        raise UsqcError(
            f"KERAS_BACKEND={backend} is not supported by usqc (no BatchNorm recalibration, saliency or "
            f"distribution path for it); set KERAS_BACKEND to {' or '.join(SUPPORTED)}"
        )
    return backend


def accelerators() -> list:
    """The GPUs (or TPUs) this process can use, every host's under JAX multi-process."""
    if name() == "tensorflow":
        import tensorflow as tf

        return tf.config.list_logical_devices("GPU")
    import jax

    return [d for d in jax.devices() if d.platform != "cpu"]


def seed_weights(seed: int) -> None:
    """Seeds Python, NumPy and the backend (weight initialisation, dropout) from stream (seed, "weights")."""
    keras.utils.set_random_seed(streams.integer(seed, "weights"))


def make_deterministic(seed: int) -> None:
    """Same seed, same CPU, same weights: seeds the weights and asks for deterministic ops (TensorFlow
    needs the request; JAX on a CPU is deterministic as it is)."""
    seed_weights(seed)
    if name() == "tensorflow":
        import tensorflow as tf

        tf.config.experimental.enable_op_determinism()


@dataclass(frozen=True)
class Distribution:
    """Where training runs: `scope()` wraps model building and training; each process feeds its
    `process_index`-th share of every global batch (one process except under JAX multi-process)."""

    replicas: int
    devices: tuple[str, ...]
    scope: Callable[[], contextlib.AbstractContextManager] = field(default=contextlib.nullcontext)
    process_index: int = 0
    process_count: int = 1
    policy: str = "float32"  # the Keras dtype policy training runs under


def cpu_has_bfloat16_instructions(cpuinfo: str | Path = "/proc/cpuinfo") -> bool:
    """Whether TensorFlow's oneDNN has native bfloat16 convolutions here: Intel AMX tiles (`amx_bf16`,
    Xeon 4th generation and later) or AVX-512 BF16 dot products (`avx512_bf16`: AMD Zen 4 and later,
    Intel Cooper Lake). Elsewhere they are no gain: measured for VGG16 at 72 px, 3.6x slower than
    float32 with AVX-512 but no BF16 (oneDNN emulates it), failing with AVX2, 0.92x under JAX's XLA
    even with AMX."""
    if name() != "tensorflow" or os.environ.get("TF_ENABLE_ONEDNN_OPTS") == "0":
        return False
    try:
        text = Path(cpuinfo).read_text()
    except OSError:  # no /proc (macOS, Windows): nothing detected, float32
        return False
    return re.search(r"^flags\s*:.*\b(amx_bf16|avx512_bf16)\b", text, re.MULTILINE) is not None


def dtype_policy(precision: str, gpus: bool, bfloat16_on_cpu: bool) -> str:
    """`train_*.precision` as a Keras dtype policy. auto: mixed_float16 on GPUs; on CPUs,
    mixed_bfloat16 where the architecture's convolutions gain from bfloat16 instructions
    (`bfloat16_on_cpu`: VGG16's dense ones trained 2-3x faster with AMX and 1.1-3.1x with AVX-512 BF16;
    Xception's depthwise ones 0.83-1.35x and 0.69x, no reliable gain, so float32) and the CPU has
    them, else float32 (benchmarks/bench_precision.py)."""
    if precision != "auto":
        return precision
    if gpus:
        return "mixed_float16"
    return "mixed_bfloat16" if bfloat16_on_cpu and cpu_has_bfloat16_instructions() else "float32"


def distribution_for(distribute: str, precision: str, seed: int, bfloat16_on_cpu: bool = False) -> Distribution:
    """The training distribution and the global dtype policy for `train_*.distribute` and `.precision`.

    distribute: auto = data parallel over every GPU if there is more than one device, else one device;
    off = one device; all = data parallel over every device (the GPUs, else the CPU's logical devices:
    how CI runs this path without a GPU). TensorFlow: MirroredStrategy, one node. JAX:
    keras.distribution.DataParallel over every device of every process; several processes (hosts)
    when the KERAS_DISTRIBUTION_* variables are set (see the README's "Backends and scale").
    precision: auto (see `dtype_policy`) or a Keras dtype policy name.
    Ops are deterministic except on GPUs, where speed comes first (and results differ from the CPU).
    """
    if name() == "jax" and int(os.environ.get(PROCESS_COUNT_ENV, "1")) > 1:
        keras.distribution.initialize()  # before anything touches a device
    gpus = accelerators()
    policy = dtype_policy(precision, bool(gpus), bfloat16_on_cpu)
    keras.mixed_precision.set_global_policy(policy)
    if gpus:
        seed_weights(seed)
    else:
        make_deterministic(seed)
    parallel = distribute == "all" or (distribute == "auto" and gpus)
    if name() == "tensorflow":
        import tensorflow as tf

        if not parallel:
            return Distribution(1, ("default",), tf.distribute.get_strategy().scope, policy=policy)
        devices = [d.name for d in gpus or tf.config.list_logical_devices("CPU")]
        strategy = tf.distribute.MirroredStrategy(devices)
        return Distribution(strategy.num_replicas_in_sync, tuple(devices), strategy.scope, policy=policy)
    import jax

    devices = jax.devices()
    if not parallel or len(devices) == 1:
        keras.distribution.set_distribution(None)
        return Distribution(1, (str(devices[0]),), policy=policy)
    keras.distribution.set_distribution(keras.distribution.DataParallel(devices=devices))
    return Distribution(len(devices), tuple(str(d) for d in devices), process_index=jax.process_index(),
                        process_count=jax.process_count(), policy=policy)  # fmt: skip


def fit_input(batches: keras.utils.PyDataset):
    """What `model.fit` reads `batches` through. JAX: `batches`. TensorFlow: the tf.data pipeline Keras
    builds for a PyDataset (a generator, one batch read ahead), with tf.data's autotuning off: when
    `fit` returns, the iterator's destructor waits for the autotuning thread's next wake-up, which
    comes up to a minute later (48.5 s of a one-epoch train_vgg16 under py-spy; benchmarks/bench_train.py
    times the wait)."""
    if name() != "tensorflow":
        return batches
    import tensorflow as tf

    def spec(array) -> tf.TensorSpec:
        array = np.asarray(array)
        return tf.TensorSpec((None, *array.shape[1:]), tf.as_dtype(array.dtype))

    first = batches[0]
    signature = tuple(spec(part) for part in first) if isinstance(first, tuple) else spec(first)
    dataset = tf.data.Dataset.from_generator(
        lambda: (batches[i] for i in range(len(batches))), output_signature=signature
    )
    options = tf.data.Options()
    options.autotune.enabled = False
    return dataset.prefetch(1).with_options(options)


def training_forward(model: keras.Model) -> Callable[[np.ndarray], None]:
    """`model(x, training=True)` compiled once, for its side effect on the BatchNorm moving statistics
    (eager, batch by batch, the pass costs more than a training epoch of the same images)."""
    if name() == "tensorflow":
        import tensorflow as tf

        return tf.function(lambda x: model(x, training=True), reduce_retracing=True)
    import jax

    @jax.jit
    def step(trainable, non_trainable, x):
        _, updated = model.stateless_call(trainable, non_trainable, x, training=True)
        return updated

    def forward(x: np.ndarray) -> None:
        updated = step(
            [v.value for v in model.trainable_variables], [v.value for v in model.non_trainable_variables], x
        )
        for variable, value in zip(model.non_trainable_variables, updated, strict=True):
            variable.assign(value)

    return forward


def input_gradients(scores_of: keras.Model, x: np.ndarray, class_ids: np.ndarray) -> np.ndarray:
    """d scores_of(x)[i, class_ids[i]] / d x[i] for a float batch `x`, in inference mode."""
    ids = np.asarray(class_ids, dtype=np.int32)
    if name() == "tensorflow":
        import tensorflow as tf

        x = tf.convert_to_tensor(x)
        with tf.GradientTape() as tape:
            tape.watch(x)
            scores = scores_of(x, training=False)
            chosen = tf.gather(scores, tf.convert_to_tensor(ids), batch_dims=1)
        return tape.gradient(chosen, x).numpy()
    import jax
    import jax.numpy as jnp

    trainable = [v.value for v in scores_of.trainable_variables]
    non_trainable = [v.value for v in scores_of.non_trainable_variables]

    def chosen(inputs):  # each row's score depends on its own input only: the sum's gradient is per row
        scores, _ = scores_of.stateless_call(trainable, non_trainable, inputs, training=False)
        return jnp.take_along_axis(scores, jnp.asarray(ids)[:, None], axis=1).sum()

    return np.asarray(jax.grad(chosen)(jnp.asarray(x)))
