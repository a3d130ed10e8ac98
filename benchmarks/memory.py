"""Peak resident memory of a process's descendants (pool workers), read from /proc.

Workers started through a forkserver are its children, not ours, so `RUSAGE_CHILDREN` does not
see them; this samples every descendant's VmHWM (its own peak RSS) while the block runs.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path


def _descendants(pid: int) -> list[int]:
    """Every process below `pid`, from the parent ids in /proc/<pid>/stat."""
    parent_of = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
                parent_of[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                pass
    found, frontier = [], {pid}
    while frontier:
        frontier = {child for child, parent in parent_of.items() if parent in frontier}
        found += sorted(frontier)
    return found


def _peak_kib(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


class DescendantPeak:
    """with DescendantPeak() as peak: ...; peak.largest_mib is the largest descendant's peak RSS."""

    def __init__(self, interval: float = 0.25):  # VmHWM is a running peak: sparse samples suffice
        self.interval, self.peaks = interval, {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while not self._stop.wait(self.interval):
            for pid in _descendants(os.getpid()):
                self.peaks[pid] = max(self.peaks.get(pid, 0), _peak_kib(pid))

    def __enter__(self) -> DescendantPeak:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()

    @property
    def largest_mib(self) -> float:
        return max(self.peaks.values(), default=0) / 1024
