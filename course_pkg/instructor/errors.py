"""The error type of the instructor tooling, and how it talks to the terminal."""

from __future__ import annotations

import sys

__all__ = ["CourseError", "progress", "say"]


class CourseError(Exception):
    """An error with a message meant for the person at the terminal."""


def say(msg: str = "") -> None:
    """Print one line of the command's report (flushed, for piped output)."""
    print(msg, flush=True)


def progress(iterable, **kwargs):
    """A tqdm progress bar on stderr that disappears when done."""
    from tqdm import tqdm

    return tqdm(iterable, file=sys.stderr, leave=False, dynamic_ncols=True, **kwargs)
