"""Training speed of each precision against float32, per architecture, in one process.

    python benchmarks/bench_precision.py [--archs vgg16 xception] [--images 512] [--size 72] [--rounds 3]

Baseline: a plain `model.fit` in float32. Then the same in mixed_bfloat16 (and mixed_float16 where a
GPU is visible), the precisions alternating for `--rounds` rounds (the first fit of a process ran at
half speed once, and this machine's speed drifts: one order alone misleads). Prints each precision's
best images/s of one steady epoch (after a warm-up fit that traces the step), its ratio to float32,
and what `train_*.precision: auto` picks on this machine (usqc.backend.dtype_policy).
`ONEDNN_MAX_CPU_ISA=AVX512_CORE_VNNI` (or AVX2) before the command shows a CPU without bfloat16
instructions, `AVX512_CORE_BF16` one with AVX-512 BF16 but no AMX. Random images: the rates do not
depend on the content. Do not run it beside another heavy job.
"""

from __future__ import annotations

import argparse
import time

import keras
import numpy as np

from usqc import backend
from usqc.models import ARCHS, build


def steady_rate(arch: str, policy: str, images: np.ndarray, labels: np.ndarray, batch_size: int) -> float:
    """Images/s of one epoch of a plain fit under `policy`, after a warm-up fit (tracing)."""
    keras.mixed_precision.set_global_policy(policy)
    keras.utils.set_random_seed(0)
    model = build(arch, images.shape[1], 4, "none")
    model.compile(optimizer=keras.optimizers.Adam(1e-4), loss="sparse_categorical_crossentropy")
    model.fit(images[: 2 * batch_size], labels[: 2 * batch_size], batch_size=batch_size, epochs=1, verbose=0)
    started = time.perf_counter()
    model.fit(images, labels, batch_size=batch_size, epochs=1, verbose=0)
    return len(images) / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--archs", nargs="+", default=list(ARCHS), choices=list(ARCHS))
    parser.add_argument("--images", type=int, default=512)
    parser.add_argument("--size", type=int, default=72)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    images = rng.random((args.images, args.size, args.size, 3), dtype=np.float32) * 255
    labels = rng.integers(0, 4, args.images)
    gpus = bool(backend.accelerators())
    policies = ["float32", "mixed_bfloat16"] + (["mixed_float16"] if gpus else [])
    native = backend.cpu_has_bfloat16_instructions()
    where = f"{keras.backend.backend()}, {'GPU' if gpus else 'CPU'}, bfloat16 instructions: {native}"
    print(f"{where}; {args.images} images at {args.size} px, batch {args.batch_size}")
    for arch in args.archs:
        rates = {policy: [] for policy in policies}
        for _ in range(args.rounds):
            for policy in policies:
                try:
                    rates[policy].append(steady_rate(arch, policy, images, labels, args.batch_size))
                except Exception as exc:  # e.g. no bfloat16 convolution kernel for this CPU
                    print(f"{arch:9s} {policy:15s} failed: {type(exc).__name__}")
        for policy, measured in rates.items():
            if measured:
                best = max(measured)
                print(f"{arch:9s} {policy:15s} {best:6.1f} images/s  {best / max(rates['float32']):.2f} of float32  "
                      f"(rounds: {', '.join(f'{r:.1f}' for r in measured)})")  # fmt: skip
        print(f"{arch:9s} auto picks {backend.dtype_policy('auto', gpus, ARCHS[arch].bfloat16_on_cpu)}")
    keras.mixed_precision.set_global_policy("float32")


if __name__ == "__main__":
    main()
