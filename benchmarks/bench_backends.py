"""Training input pipelines and Keras backends, compared in one run on this machine.

    python benchmarks/bench_backends.py [--arch xception] [--images 1024] [--epochs 3] [--size 72]
        [--backends tensorflow,jax] [--precision float32|auto|mixed_float16|...]

1. TensorFlow backend, this process: the same model trained by `model.fit` on the tf.data
   pipeline usqc used before it supported other backends (tf.data shuffle, numpy_function gather,
   prefetch) and on the Keras PyDataset that replaced it (usqc.model_input.ImageBatches over
   epoch_batches). Steady-state epoch rates (the first epoch traces) and their ratio.
2. Each backend in its own process (Keras picks one per process): `usqc.training.fit` as the
   training stages call it (usqc.backend.distribution_for with `distribute: auto` and --precision,
   as `train_*.precision`), no validation pass, BatchNorm recalibration included; images/s counted
   as the stages count them and steady epoch rates, each as a ratio to the first backend listed.
Random images: the rates do not depend on the content. Run it alone on the machine.
Part 1 needs TensorFlow and runs only when --backends lists it: on a GPU box with JAX alone,
`--backends jax --precision auto --size 174 --batch-size 64` gives the thesis-scale training rate.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

BACKENDS = ("tensorflow", "jax")
REPO = Path(__file__).resolve().parents[1]


def data(args) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    return rng.integers(0, 256, (args.images, args.size, args.size), dtype=np.uint8), rng.integers(0, 4, args.images)


def epoch_clock():
    import keras

    class EpochClock(keras.callbacks.Callback):
        def __init__(self):
            super().__init__()
            self.epochs = []

        def on_epoch_begin(self, epoch, logs=None):
            self._start = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            self.epochs.append(time.perf_counter() - self._start)

    return EpochClock()


def old_tf_data(images, labels, rows, batch_size, seed):
    """The tf.data pipeline of usqc before backends (commit 0dffda9's usqc/tfdata.py)."""
    import tensorflow as tf

    from usqc.model_input import as_model_input

    ds = tf.data.Dataset.from_tensor_slices(np.asarray(rows, dtype=np.int64))
    ds = ds.shuffle(len(rows), seed=seed, reshuffle_each_iteration=True).batch(batch_size)

    def gather(r):
        batch = tf.numpy_function(lambda k: as_model_input(images[k]), [r], tf.float32)
        return tf.ensure_shape(batch, (None, *images.shape[1:], 3)), tf.gather(tf.constant(labels, tf.int32), r)

    return ds.map(gather).prefetch(tf.data.AUTOTUNE)


def compare_pipelines(args) -> None:
    import usqc.quiet_start  # noqa: F401

    # isort: split
    import keras

    from usqc.backend import make_deterministic
    from usqc.model_input import ImageBatches, epoch_batches
    from usqc.models import build

    images, labels = data(args)
    rows, b, e = np.arange(len(images)), args.batch_size, args.epochs
    inputs = {
        "tf.data (before)": lambda: (old_tf_data(images, labels, rows, b, 0), None),
        "PyDataset (now)": lambda: (ImageBatches(images, labels, epoch_batches(rows, b, e, 0)), -(-len(rows) // b)),
    }
    rates = {name: [] for name in inputs}
    for _ in range(args.repeats):  # interleaved, so that a drift in machine speed hits both alike
        for name, make in inputs.items():
            make_deterministic(0)
            model = build(args.arch, args.size, 4, "none")
            model.compile(keras.optimizers.Adam(1e-4), "sparse_categorical_crossentropy", metrics=["accuracy"])
            clock, (train, steps) = epoch_clock(), make()
            model.fit(train, epochs=e, steps_per_epoch=steps, shuffle=False, verbose=0, callbacks=[clock])
            rates[name].append(len(rows) / np.median(clock.epochs[1:]))
    print(f"1. Input pipelines, TensorFlow backend: {args.arch} at {args.size} px, {len(rows)} images, batch {b}, "
          f"steady epochs (median of epochs 2-{e}, {args.repeats} runs each, interleaved)")  # fmt: skip
    before = np.median(rates["tf.data (before)"])
    for name, values in rates.items():
        print(f"   {name:18s} {np.median(values):6.1f} images/s  ({np.median(values) / before:.3f} of tf.data)")


def child(args) -> None:
    """One backend's `usqc.training.fit`, printed as JSON (run with KERAS_BACKEND set)."""
    import usqc.quiet_start  # noqa: F401

    # isort: split
    import keras

    from usqc.backend import distribution_for
    from usqc.models import ARCHS, build
    from usqc.training import fit

    images, labels = data(args)
    distribution = distribution_for("auto", args.precision, 0, ARCHS[args.arch].bfloat16_on_cpu)
    with distribution.scope():
        model = build(args.arch, args.size, 4, "none")
        clock = epoch_clock()
        start = time.perf_counter()
        history = fit(model, images, labels, np.arange(len(images)), np.array([], int), epochs=args.epochs,
                      batch_size=args.batch_size, learning_rate=1e-4, seed=0, callbacks=[clock],
                      distribution=distribution)  # fmt: skip
        seconds = time.perf_counter() - start
    result = {
        "backend": keras.backend.backend(),
        "rate": len(images) * args.epochs / seconds,
        "steady": len(images) / float(np.median(clock.epochs[1:])),
        "policy": distribution.policy,
        "devices": list(distribution.devices),
        "loss": [float(x) for x in history.history["loss"]],
    }
    print(json.dumps(result))


def compare_backends(args) -> None:
    results = {}
    for backend in args.backends:
        command = [sys.executable, __file__, "--child", *sys.argv[1:]]
        path = os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))  # keep the caller's
        env = {**os.environ, "KERAS_BACKEND": backend, "PYTHONPATH": path}
        done = subprocess.run(command, capture_output=True, text=True, env=env)
        if done.returncode:  # the child's own error, not only its exit status
            sys.exit(f"{backend} run failed (exit {done.returncode}):\n{done.stderr[-3000:]}")
        results[backend] = json.loads(done.stdout.strip().splitlines()[-1])
    print(
        f"2. usqc.training.fit per backend: {args.arch} at {args.size} px, {args.images} images, {args.epochs} epochs"
    )
    first, reference = next(iter(results.items()))
    for backend, r in results.items():
        print(f"   {backend:10s} {r['rate']:6.1f} images/s as the stages count ({r['rate'] / reference['rate']:.2f} of "
              f"{first}), steady epoch {r['steady']:6.1f} ({r['steady'] / reference['steady']:.2f}); "
              f"{r['policy']} on {', '.join(r['devices']) or 'one device'}; "
              f"losses {', '.join(f'{x:.4f}' for x in r['loss'])}")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--arch", default="xception")
    parser.add_argument("--images", type=int, default=1024)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--size", type=int, default=72)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--backends", type=lambda s: s.split(","), default=list(BACKENDS))
    parser.add_argument("--precision", default="float32", help="as train_*.precision (auto: the stages' default)")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args)
        return
    unknown = sorted(set(args.backends) - set(BACKENDS))
    if unknown:
        parser.error(f"unknown backend(s) {', '.join(unknown)}; choose from {', '.join(BACKENDS)}")
    if "tensorflow" in args.backends:
        compare_pipelines(args)
    compare_backends(args)


if __name__ == "__main__":
    main()
