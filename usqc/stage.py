"""What every stage script shares: logging set-up and one-line errors with a non-zero exit."""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
from collections.abc import Callable
from pathlib import Path

from usqc.errors import UsqcError

EXIT_USER_ERROR = 2


def run(main: Callable[[], None]) -> None:
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    # SIGTERM (a job scheduler, `kill`) unwinds like an error, so temporary outputs are removed.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    try:
        main()
    except UsqcError as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(EXIT_USER_ERROR)
    except KeyboardInterrupt:
        print("interrupted: no outputs written", file=sys.stderr)
        sys.exit(130)


def parse_args(doc: str | None, section: str | None = None, **paths: str) -> argparse.Namespace:
    """`--params` (and `--section` for scripts shared by several stages) plus one `--name PATH`
    option per stage input or output (dvc.yaml passes them all)."""
    parser = argparse.ArgumentParser(description=doc)
    parser.add_argument("--params", default="params.yaml")
    if section is not None:
        parser.add_argument("--section", default=section, help="params.yaml section of this stage")
    for name, default in paths.items():
        parser.add_argument(f"--{name.replace('_', '-')}", type=Path, default=Path(default))
    return parser.parse_args()


def workers() -> int:
    """Process count for CPU-bound loops: $USQC_WORKERS, else every core (results never depend on it)."""
    value = os.environ.get("USQC_WORKERS", "")
    if value:
        if not value.isdigit() or int(value) < 1:
            raise UsqcError(f"USQC_WORKERS must be a positive integer (got {value!r})")
        return int(value)
    return os.cpu_count() or 1
