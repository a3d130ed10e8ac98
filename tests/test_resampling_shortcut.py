"""The resampling-shortcut benchmark compares what it says it compares."""

import numpy as np

from benchmarks.bench_resampling_shortcut import resampled_copies
from usqc.corrupted_sets import originals_at


def _speckle(n: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (n, 224, 224), dtype=np.uint8)


def test_a_copy_that_loses_no_area_is_the_original_bit_for_bit():
    clean = _speckle(3)
    copies = resampled_copies(clean, 72, (0.0, 0.0), np.random.default_rng(0))
    assert np.array_equal(copies, originals_at(clean, 72))


def test_an_upsampled_copy_keeps_the_content_and_loses_the_finest_detail():
    """At 174 px a copy losing 0.6 of the area was upsampled (224 -> 142 -> 174): the same scene
    (close to the original on average) with less pixel-to-pixel detail."""
    clean = _speckle(2)
    originals = originals_at(clean, 174).astype(float)
    copies = resampled_copies(clean, 174, (0.6, 0.6), np.random.default_rng(0)).astype(float)
    assert abs(copies.mean() - originals.mean()) < 2
    detail = [np.abs(np.diff(x, axis=2)).mean() for x in (originals, copies)]
    assert detail[1] < 0.8 * detail[0]
