"""Outputs appear complete or not at all: written to temporary siblings, renamed at the end."""

from __future__ import annotations

import json
import os
import shutil
from contextlib import contextmanager
from pathlib import Path


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    elif path.exists() or path.is_symlink():
        path.unlink()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: alive
        pass
    return True


def _left_by_dead_runs(final: Path) -> list[Path]:
    """Temporaries of `final` whose writer no longer runs (killed with SIGKILL, or the machine died)."""
    stale = []
    for temp in final.parent.glob(f".tmp*.{final.name}"):
        pid = temp.name[len(".tmp") :].split(".", 1)[0]
        if pid.isdigit() and not _alive(int(pid)):
            stale.append(temp)
    return stale


@contextmanager
def atomic_outputs(*paths: str | Path):
    """Yield temporary paths for `paths`; move them into place only if the block succeeds.

    On any error the temporaries, and parent folders this call created, are removed, so a
    failed or killed stage leaves nothing that looks finished; what a SIGKILL-ed run left behind
    is removed by the next run.
    """
    finals = [Path(p) for p in paths]
    created = []
    for parent in sorted({p.parent for p in finals}, key=lambda p: len(p.parts)):
        missing = [a for a in (parent, *parent.parents) if not a.exists()]
        created.extend(reversed(missing))
        parent.mkdir(parents=True, exist_ok=True)
    temps = [p.with_name(f".tmp{os.getpid()}.{p.name}") for p in finals]  # keep the suffix: savers check it
    for temp in [*temps, *(stale for final in finals for stale in _left_by_dead_runs(final))]:
        _remove(temp)
    try:
        yield temps
    except BaseException:
        for temp in temps:
            _remove(temp)
        for folder in reversed(created):
            if folder.exists() and not any(folder.iterdir()):
                folder.rmdir()
        raise
    for final, temp in zip(finals, temps, strict=False):
        _remove(final)
        os.replace(temp, final)


def rounded(value, digits: int = 4):
    """Floats anywhere in nested dicts and lists rounded, so metrics diffs show real changes only."""
    if isinstance(value, dict):
        return {k: rounded(v, digits) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [rounded(v, digits) for v in value]
    if isinstance(value, float):
        return round(value, digits)
    return value


def write_json(path: Path, data: dict) -> None:
    """Small, diffable JSON: floats to 4 decimals, sorted keys, two-space indent, trailing newline."""
    path.write_text(json.dumps(rounded(data), indent=2, sort_keys=True) + "\n")
