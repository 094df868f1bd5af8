"""Grading helpers for the course's nbgrader assignments.

The notebooks' test cells call the ``check_*`` functions; each raises
``AssertionError`` with a message that names the likely mistake (from a
catalogue of usual mistakes, each a mutation of the reference) and the part
of the book to re-read.

This package is what runs in the student's kernel: it needs numpy and the
reference package only (no nbformat, no nbgrader). The instructor tooling
(the ``course`` command, nbgrader settings, notebook I/O) is
:mod:`course_pkg.instructor`.

Modules: :mod:`._core` (the diagnosis engine), :mod:`.checks` (the checks by
exercise name), :mod:`.catalogue` (every exercise, assembled in one place from
the catalogues :mod:`.gates` (assignments 01-04), :mod:`.lstm` (05-06),
:mod:`.gru` (07), :mod:`.attention` (08) and :mod:`.charlm` (09)).

Per-student variants: inside ``use_variant(variant(student, assignment))``
every seeded check draws other random inputs (same shapes), so the expected
values a failing hidden test prints are that student's own. The trusted
grader enters it around the hidden test cells; visible tests keep their
fixed seeds.

``IN_GRADER`` is False here. The trusted grader runs a submission's own cells
with a stand-in for this package whose ``IN_GRADER`` is True (and which has no
checks: the grader runs the tests itself), so a notebook can skip work that only
the student needs to see, such as assignment 09's training demo:
``if not grading.IN_GRADER: ...``.

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

from ._core import Exercise, Mistake, Variant, Verdict, active_variant, use_variant, variant
from .catalogue import ASSIGNMENTS, exercises, get_exercise
from .checks import (
    check_gradient_checker,
    check_inputs_unchanged,
    check_known,
    check_range,
    check_reference,
    check_shape,
    diagnose,
    explain,
)

#: True only in the trusted grader's stand-in for this package (see above).
IN_GRADER = False

__all__ = [
    "ASSIGNMENTS",
    "IN_GRADER",
    "Exercise",
    "Mistake",
    "Variant",
    "Verdict",
    "active_variant",
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
    "use_variant",
    "variant",
]
