"""Importing the numpy core never imports torch or matplotlib; grading needs no nbgrader.

Each check runs in a fresh interpreter (a subprocess), because in the test
process itself other tests may already have imported both.
"""

from __future__ import annotations

import pytest
from cell_cases import run_python

CORE = ["course_pkg", "course_pkg.activations", "course_pkg.lstm_gates", "course_pkg.lstm",
        "course_pkg.cells", "course_pkg.experiments.bottleneck",
        "course_pkg.rnn", "course_pkg.gru_gates", "course_pkg.stacked",
        "course_pkg.bidirectional", "course_pkg.dropout", "course_pkg.truncated",
        "course_pkg.experiments.practice", "course_pkg.gru", "course_pkg.attention",
        "course_pkg.seq2seq", "course_pkg.losses", "course_pkg.optim", "course_pkg.init",
        "course_pkg.train", "course_pkg.tasks", "course_pkg.dates", "course_pkg.gradcheck",
        # these use torch / matplotlib, but only inside their functions
        "course_pkg.torch_interop", "course_pkg.diagrams", "course_pkg.plotting",
        "course_pkg.experiments.gradient_flow", "course_pkg.experiments.agreement",
        "course_pkg.experiments.attention_dates"]

HEAVY = ("torch", "matplotlib", "tqdm", "IPython", "pandas", "scipy")


def _loaded_after_import(module: str) -> list[str]:
    code = (
        "import importlib, sys\n"
        f"importlib.import_module({module!r})\n"
        f"print(' '.join(m for m in {HEAVY!r} if m in sys.modules))\n"
    )
    return run_python(code).split()


def test_import_course_pkg_loads_neither_torch_nor_matplotlib():
    code = ("import course_pkg, sys; "
            "assert 'torch' not in sys.modules and 'matplotlib' not in sys.modules")
    run_python(code)


@pytest.mark.parametrize("module", CORE)
def test_module_import_is_light(module):
    loaded = _loaded_after_import(module)
    assert not loaded, f"importing {module} also imported {loaded}; import them inside functions"


def test_all_core_modules_together_are_light():
    code = (
        "import sys\n"
        + "".join(f"import {m}\n" for m in CORE)
        + f"print(' '.join(m for m in {HEAVY!r} if m in sys.modules))\n"
    )
    assert run_python(code).split() == []


INSTRUCTOR_ONLY = ("nbformat", "nbgrader", "nbclient", "nbconvert", "jupytext", "traitlets",
                   "course_pkg.instructor")


def test_grading_imports_no_instructor_dependency():
    """A student's kernel needs numpy and course_pkg only: no nbformat, nbgrader, nbclient."""
    unwanted = INSTRUCTOR_ONLY + HEAVY
    code = ("import sys, course_pkg.grading; "
            f"print(' '.join(m for m in {unwanted!r} if m in sys.modules))")
    assert run_python(code).split() == []
