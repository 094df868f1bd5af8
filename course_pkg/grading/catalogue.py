"""The course's exercises, assembled in one place.

Each catalogue module (:mod:`.gates` for assignments 01-04, :mod:`.lstm` for
05-06, :mod:`.gru` for 07, :mod:`.attention` for 08, :mod:`.charlm` for 09)
defines its exercises
and lists them in its ``EXERCISES`` tuple; nothing is registered on import.
This module joins those tuples, in course order, and looks exercises up by
name. It is the only module that imports every catalogue.
"""

from __future__ import annotations

from . import attention, charlm, gates, gru, lstm
from ._core import Exercise

__all__ = ["ASSIGNMENTS", "CATALOGUES", "EXERCISES", "exercises", "get_exercise"]

#: Assignment ids in course order.
ASSIGNMENTS = (
    "01_forget_gate",
    "02_input_gate",
    "03_cell_state",
    "04_output_gate",
    "05_lstm_forward",
    "06_lstm_backward",
    "07_gru",
    "08_attention",
    "09_char_lm",
)

#: The catalogue modules, in course order.
CATALOGUES = (gates, lstm, gru, attention, charlm)

#: Every exercise of the course, in course order.
EXERCISES: tuple[Exercise, ...] = tuple(ex for module in CATALOGUES for ex in module.EXERCISES)

_BY_NAME = {ex.name: ex for ex in EXERCISES}
if len(_BY_NAME) != len(EXERCISES):  # pragma: no cover - a catalogue authoring error
    raise RuntimeError("two exercises share a name: " + ", ".join(ex.name for ex in EXERCISES))


def get_exercise(name: str) -> Exercise:
    """The exercise called ``name`` (the student function's name)."""
    try:
        return _BY_NAME[name]
    except KeyError:
        raise KeyError(f"unknown exercise {name!r}; known: {sorted(_BY_NAME)}") from None


def exercises(assignment: str | None = None) -> list[Exercise]:
    """All exercises in course order, optionally only those of one assignment."""
    return [e for e in EXERCISES if assignment is None or e.assignment == assignment]
