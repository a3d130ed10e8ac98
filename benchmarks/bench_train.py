"""Training-stage throughput against a plain `model.fit` on the same model, in one process.

    python benchmarks/bench_train.py [--arch xception] [--images 1024] [--epochs 2] [--size 72]
        [--precision auto|float32|mixed_bfloat16|...]

Baseline: `model.fit` on float32 arrays already in memory, no validation, nothing after it.
Then `usqc.training.fit` as the training stages call it (a Keras PyDataset over the uint8 array, read
through `usqc.backend.fit_input`; validation on 15 % more images, BatchNorm recalibration), and the
same with the PyDataset handed to Keras as it is (the code before fit_input); all three under one
dtype policy (--precision as `train_*.precision`, default auto: the stage's own on this CPU). Prints each one's
images/s counted the way the stages count them (fit images x epochs / whole call), the steady-state
epoch rate, and the fixed costs: first-epoch tracing, validation, the BatchNorm pass, and the wait
after the last epoch (TensorFlow: the tf.data iterator's destructor waits for the autotuning
thread's next wake-up, 0-60 s at random, so one run shows one draw of it). Random images: the rates
do not depend on the content. Do not run it while another heavy job shares the machine.
"""

from __future__ import annotations

import argparse
import time

import keras
import numpy as np

from usqc import backend
from usqc.backend import distribution_for, make_deterministic
from usqc.models import ARCHS, build
from usqc.training import fit, recalibrate


class EpochClock(keras.callbacks.Callback):
    """Wall time of each epoch (training and validation) and of each validation pass."""

    def __init__(self):
        super().__init__()
        self.epochs, self.validation = [], []

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        self.epochs.append(time.perf_counter() - self._epoch)

    def on_test_begin(self, logs=None):
        self._test = time.perf_counter()

    def on_test_end(self, logs=None):
        self.validation.append(time.perf_counter() - self._test)

    def on_train_end(self, logs=None):
        self.train_end = time.perf_counter()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--arch", default="xception")
    parser.add_argument("--images", type=int, default=1024)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--size", type=int, default=72)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--precision", default="auto", help="as train_*.precision")
    args = parser.parse_args()
    policy = distribution_for("off", args.precision, 0, ARCHS[args.arch].bfloat16_on_cpu).policy
    n, e, b = args.images, args.epochs, args.batch_size
    n_val = int(round(n * 0.15 / 0.85))
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (n + n_val, args.size, args.size), dtype=np.uint8)
    labels = rng.integers(0, 4, n + n_val)
    fit_rows, val_rows = np.arange(n), np.arange(n, n + n_val)

    make_deterministic(0)
    model = build(args.arch, args.size, 4, "none")
    model.compile(optimizer=keras.optimizers.Adam(1e-4), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    x = np.repeat(images[fit_rows, ..., None].astype(np.float32), 3, axis=-1)
    clock = EpochClock()
    t0 = time.perf_counter()
    model.fit(x, labels[fit_rows], batch_size=b, epochs=e, verbose=0, callbacks=[clock])
    plain = time.perf_counter() - t0
    plain_wait = time.perf_counter() - clock.train_end
    steady = clock.epochs[-1]

    usqc_fit = time_usqc_fit(args, images, labels, fit_rows, val_rows)
    fit_input = backend.fit_input
    backend.fit_input = lambda batches: batches  # the PyDataset straight to Keras, as before fit_input
    try:
        before = time_usqc_fit(args, images, labels, fit_rows, val_rows)
    finally:
        backend.fit_input = fit_input

    print(f"{args.arch} at {args.size} px, {n} fit + {n_val} validation images, {e} epochs, batch {b}, {policy}")
    print(f"plain model.fit: {n * e / plain:6.1f} images/s (steady epoch {n / steady:6.1f} images/s)")
    print(f"  first-epoch overhead (tracing): {clock_overhead(plain - plain_wait, steady, e):5.1f} s")
    print(f"  wait after the last epoch: {plain_wait:5.1f} s")
    for label, (seconds, clock, batchnorm, wait) in (("usqc fit:", usqc_fit), ("usqc fit, PyDataset as is:", before)):
        print(f"{label:27s} {n * e / seconds:6.1f} images/s ({plain / seconds:.2f} of plain, "
              f"{(plain - plain_wait) / (seconds - wait):.2f} of plain without either's wait)")  # fmt: skip
        print(f"  validation passes: {', '.join(f'{s:.1f}' for s in clock.validation) or 'none'} s")
        print(f"  BatchNorm recalibration ({min(n, 1024)} images): {batchnorm:5.1f} s")
        print(f"  wait after the last epoch: {wait:5.1f} s")


def time_usqc_fit(args, images, labels, fit_rows, val_rows) -> tuple[float, EpochClock, float, float]:
    """usqc.training.fit as the stages call it: (whole call, its clock, BatchNorm pass timed apart,
    wait after the last epoch)."""
    make_deterministic(0)
    model = build(args.arch, args.size, 4, "none")
    clock = EpochClock()
    t0 = time.perf_counter()
    fit(model, images, labels, fit_rows, val_rows, epochs=args.epochs, batch_size=args.batch_size,
        learning_rate=1e-4, seed=0, callbacks=[clock])  # fmt: skip
    ended = time.perf_counter()
    recalibrate(model, images, fit_rows, args.batch_size, 0)
    batchnorm = time.perf_counter() - ended
    return ended - t0, clock, batchnorm, ended - clock.train_end - batchnorm


def clock_overhead(total: float, steady: float, epochs: int) -> float:
    """Time beyond `epochs` steady epochs: tracing and the first epoch's warm-up."""
    return total - steady * epochs


if __name__ == "__main__":
    main()
