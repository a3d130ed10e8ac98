"""Errors a user can cause and fix: reported as one line, never as a traceback."""

from pathlib import Path


class UsqcError(Exception):
    """A problem with the user's input (file, folder, parameter) and what to do about it."""


def require_folder(path: str | Path, remedy: str) -> Path:
    """`path` if it is a folder; otherwise one line saying what is there instead (a file, or
    nothing), then `remedy`."""
    folder = Path(path)
    if folder.is_file():
        raise UsqcError(f"{folder}: a file, not a folder; {remedy}")
    if not folder.is_dir():
        raise UsqcError(f"{folder}: folder not found; {remedy}")
    return folder
