"""The checks that the assignments' test cells call, by exercise name.

Each function looks the exercise up in :mod:`.catalogue` and runs the
engine of :mod:`._core` on it. A failed check raises :class:`AssertionError`
whose message names the likely mistake and the section to re-read.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from . import _core
from .catalogue import get_exercise

__all__ = [
    "check_gradient_checker",
    "check_inputs_unchanged",
    "check_known",
    "check_range",
    "check_reference",
    "check_shape",
    "diagnose",
    "explain",
]


def diagnose(
    fn: Callable[..., Any],
    name: str,
    inputs: Mapping[str, Any] | None = None,
    expected: Any = None,
) -> _core.Verdict:
    """Run ``fn`` and, if it is wrong, name the catalogued mistake that explains it.

    ``name`` is the exercise (the reference function's name, e.g.
    ``"forget_gate"``); see :func:`course_pkg.grading._core.diagnose`.
    """
    return _core.diagnose(fn, get_exercise(name), inputs, expected)


def explain(fn: Callable[..., Any], name: str, **inputs: Any) -> str:
    """The diagnosis message for ``fn`` (for ``assert ..., explain(...)``)."""
    return _core.explain(fn, get_exercise(name), **inputs)


def check_shape(fn: Callable[..., Any], name: str, seed: int = 0, **dims: int) -> None:
    """Assert that ``fn`` returns the right structure, shapes and dtype (not values)."""
    _core.check_shape(fn, get_exercise(name), seed, **dims)


def check_range(fn: Callable[..., Any], name: str, low: float, high: float, seed: int = 0,
                scale: float = 1.0, **dims: int) -> None:
    """Assert that every output entry lies in ``[low, high]``."""
    _core.check_range(fn, get_exercise(name), low, high, seed, scale, **dims)


def check_known(fn: Callable[..., Any], name: str, args: Sequence[Any] | Mapping[str, Any],
                expected: Any, atol: float = 1e-6) -> None:
    """Assert ``fn(*args)`` equals a hand-computed ``expected`` (within ``atol``)."""
    _core.check_known(fn, get_exercise(name), args, expected, atol)


def check_reference(fn: Callable[..., Any], name: str,
                    shapes: Sequence[Mapping[str, int]] = ({},), seed: int = 0,
                    scale: float = 1.0) -> None:
    """Assert that ``fn`` matches the reference on random inputs of several shapes.

    ``scale`` multiplies the inputs (use e.g. 1e3 to test numerical stability).
    """
    _core.check_reference(fn, get_exercise(name), shapes, seed, scale)


def check_inputs_unchanged(fn: Callable[..., Any], name: str, seed: int = 0,
                           **dims: int) -> None:
    """Assert that ``fn`` does not modify its arguments in place."""
    _core.check_inputs_unchanged(fn, get_exercise(name), seed, **dims)


def check_gradient_checker(gradient_check: Callable[..., Any]) -> None:
    """Grade the student's gradient check of assignment 06 (see :mod:`.lstm`)."""
    from .lstm import check_gradient_checker as _check

    _check(gradient_check)
