"""Grading helpers for the course's nbgrader assignments.

The notebooks' test cells call the ``check_*`` functions; each raises
``AssertionError`` with a message that names the likely mistake (from a
catalogue of usual mistakes, each a mutation of the reference) and the part
of the book to re-read. :mod:`course_pkg.grading.nbconfig` holds the nbgrader
settings shared by the repository and every course directory, and
:mod:`course_pkg.grading.notebooks` the notebook operations behind the
``course`` command (student versions, self-check).

Catalogues: :mod:`.gates` (assignments 01-04), :mod:`.lstm` (05-06),
:mod:`.gru` (07), :mod:`.attention` (08).

Example
-------
>>> from course_pkg import grading
>>> def forget_gate(h_prev, x, W_f, b_f):
...     import numpy as np
...     return np.tanh(np.concatenate([h_prev, x], axis=1) @ W_f + b_f)
>>> verdict = grading.diagnose(forget_gate, "forget_gate")
>>> verdict.mistake.key
'tanh_for_sigmoid'
"""

from __future__ import annotations

from ._core import (
    Exercise,
    Mistake,
    Verdict,
    check_inputs_unchanged,
    check_known,
    check_range,
    check_reference,
    check_shape,
    diagnose,
    exercises,
    explain,
    get_exercise,
)

__all__ = [
    "ASSIGNMENTS",
    "Exercise",
    "Mistake",
    "Verdict",
    "check_gradient_checker",
    "check_inputs_unchanged",
    "check_known",
    "check_range",
    "check_reference",
    "check_shape",
    "diagnose",
    "exercises",
    "explain",
    "get_exercise",
]

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
)


def check_gradient_checker(gradient_check) -> None:
    """Grade the student's gradient check of assignment 06 (see :mod:`.lstm`)."""
    from .lstm import check_gradient_checker as _check

    _check(gradient_check)
