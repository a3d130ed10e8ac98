"""Errors a user can cause and fix: reported as one line, never as a traceback."""


class UsqcError(Exception):
    """A problem with the user's input (file, folder, parameter) and what to do about it."""
