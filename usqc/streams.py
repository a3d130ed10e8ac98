"""One rule for every random draw in usqc: a stream is named by (seed, purpose, *ids).

`seed` is `base.seed` (or a fixed seed for data that must never move, as the shipped HC18 split);
`purpose` says what the draws are for and is one of PURPOSES; `ids` say which item they are about
(an image id, a corruption, a level, a copy). Two draws share a stream only if all three agree,
so no two purposes are correlated (the ingest split and the validation hold-out once shuffled
with the very same permutation), and the draws for one item never depend on which other items
exist, on their order, or on the number of workers. Strings become integers by BLAKE2b, stable
across processes and machines, unlike Python's hash().
"""

from __future__ import annotations

import hashlib

import numpy as np

PURPOSES = (
    "phantom",  # one simulated patient image: (plane, index)
    "split",  # ingest's and ingest_unlabelled's train/test split by group
    "hold_out",  # validation groups held out of the train split: (what it is stratified by)
    "hc18_split",  # the shipped HC18 sample's real-train / real-eval split by subject
    "corrupt",  # one corrupted set: (image id, original | scale_up | blur | noise | vary)
    "leaky_split",  # corrupt's replay of the thesis' random split of the 4x set
    "sweep",  # threshold_sweep's corrupted test images: (corruption, level, image index)
    "threshold_bootstrap",  # threshold_sweep's bootstrap interval of each threshold: (corruption)
    "full_range",  # ssim_eval's and real_eval's corrupted copies: (corruption, level, image index)
    "subject_bootstrap",  # real_eval's 95 % intervals over subjects
    "non_ultrasound",  # real_eval's synthetic non-ultrasound guard inputs
    "weights",  # Keras weight initialisation and dropout (keras.utils.set_random_seed)
    "shuffle",  # the epoch order of training batches
    "augment",  # the plane classifier's augmentation layers: (layer index)
    "recalibration",  # the training images that re-estimate BatchNorm statistics
    "baseline",  # the classical baseline's tree ensemble
    "guard_fit",  # the training images whose features fit the out-of-domain guard
    "guard_reference",  # the guard's reference image statistics
    "cli_corrupt",  # `usqc corrupt`'s one-off draws
)


def _word(value: int | str) -> int:
    if isinstance(value, str):
        return int.from_bytes(hashlib.blake2b(value.encode(), digest_size=8).digest(), "little")
    value = int(value)
    if value < 0:
        raise ValueError(f"stream ids must be non-negative integers or strings (got {value})")
    return value


def sequence(seed: int, purpose: str, *ids: int | str) -> np.random.SeedSequence:
    if purpose not in PURPOSES:
        raise ValueError(f"unknown random-stream purpose {purpose!r}; add it to usqc.streams.PURPOSES")
    return np.random.SeedSequence([_word(seed), _word(purpose), *map(_word, ids)])


def generator(seed: int, purpose: str, *ids: int | str) -> np.random.Generator:
    """The NumPy generator of stream (seed, purpose, *ids)."""
    return np.random.default_rng(sequence(seed, purpose, *ids))


def integer(seed: int, purpose: str, *ids: int | str) -> int:
    """A 31-bit integer seed of stream (seed, purpose, *ids), for APIs that take one (Keras, tf.data)."""
    return int(sequence(seed, purpose, *ids).generate_state(1)[0] >> 1)
