"""Ordered parallel map over processes; results never depend on the worker count."""

from __future__ import annotations

import multiprocessing
import sys
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor

import cv2


def _single_threaded() -> None:
    cv2.setNumThreads(1)  # one process per core already: avoid oversubscription


def _context() -> multiprocessing.context.BaseContext:
    """fork: the fastest start, and safe beside NumPy's and OpenCV's threads. Once TensorFlow is
    loaded, a fork can copy a lock one of its threads holds and leave the child waiting forever;
    workers then start from a clean forkserver process instead."""
    return multiprocessing.get_context("forkserver" if "tensorflow" in sys.modules else "fork")


def ordered_map(fn: Callable, jobs: Iterable, workers: int, chunksize: int = 4) -> Iterator:
    """`fn` over `jobs`, yielding results in job order; `workers` <= 1 runs in this process."""
    if workers <= 1:
        yield from map(fn, jobs)
        return
    with ProcessPoolExecutor(workers, mp_context=_context(), initializer=_single_threaded) as pool:
        yield from pool.map(fn, jobs, chunksize=chunksize)
