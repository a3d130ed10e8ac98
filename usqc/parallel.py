"""Ordered parallel map over processes; results never depend on the worker count."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor

import cv2


def _single_threaded() -> None:
    cv2.setNumThreads(1)  # one process per core already: avoid oversubscription


def ordered_map(fn: Callable, jobs: Iterable, workers: int, chunksize: int = 4) -> Iterator:
    """`fn` over `jobs`, yielding results in job order; `workers` <= 1 runs in this process."""
    if workers <= 1:
        yield from map(fn, jobs)
        return
    with ProcessPoolExecutor(workers, initializer=_single_threaded) as pool:
        yield from pool.map(fn, jobs, chunksize=chunksize)
