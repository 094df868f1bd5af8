"""Helpers shared by the assignment tests (test-only: not part of course_pkg).

* :func:`source_path` / :func:`source_notebook`: the single source of an
  assignment, ``assignments/<id>/<id>.py``, and the instructor notebook built
  from it (the packaged ``.ipynb`` equals it: ``test_build_script_is_in_sync``);
* :func:`solution_body`: the text between the solution markers of a cell;
* :func:`run_in_process`: run a notebook's code cells with ``exec`` and score
  its grade cells (fast, no kernel).
"""

from __future__ import annotations

import functools
import os
import pathlib
import sys
import traceback
from typing import Any

import nbformat

from course_pkg.instructor.build import build_notebook
from course_pkg.instructor.notebooks import (
    BEGIN_HIDDEN,
    BEGIN_SOLUTION,
    END_SOLUTION,
    TestResult,
    is_grade_cell,
)

ROOT = pathlib.Path(__file__).resolve().parents[1]


def source_path(aid: str) -> pathlib.Path:
    """The jupytext source of assignment ``aid``."""
    return ROOT / "assignments" / aid / f"{aid}.py"


@functools.cache
def _built(aid: str) -> str:
    return nbformat.writes(build_notebook(source_path(aid)))


def source_notebook(aid: str) -> nbformat.NotebookNode:
    """A fresh copy of the instructor notebook built from ``assignments/<aid>/<aid>.py``."""
    return nbformat.reads(_built(aid), as_version=4)


def solution_body(nb: nbformat.NotebookNode, grade_id: str) -> str:
    """The text between BEGIN and END SOLUTION in the solution cell ``grade_id``."""
    for cell in nb.cells:
        if cell.get("metadata", {}).get("nbgrader", {}).get("grade_id") == grade_id:
            src = cell.source
            start = src.index(BEGIN_SOLUTION) + len(BEGIN_SOLUTION)
            return src[start:src.index(END_SOLUTION)]
    raise KeyError(grade_id)


def run_in_process(nb: nbformat.NotebookNode, cwd: str | os.PathLike | None = None,
                   variant=None) -> list[TestResult]:
    """Run the code cells with ``exec`` in one namespace and score the grade cells.

    Much faster than a kernel (no start-up); IPython magics are not
    supported. Warnings are not counted as failures. With ``variant`` (a
    ``grading.Variant``) the hidden test cells run in it, as the trusted grader
    runs them.
    """
    from course_pkg import grading

    namespace: dict[str, Any] = {"__name__": "__main__"}
    results = []
    old = os.getcwd()
    if cwd is not None:
        os.chdir(cwd)
    try:
        for k, cell in enumerate(nb.cells):
            if cell.cell_type != "code":
                continue
            error = ""
            try:
                code = compile(cell.source, f"<cell {k}>", "exec")
                hidden = is_grade_cell(cell) and BEGIN_HIDDEN in cell.source
                with grading.use_variant(variant if hidden else None):
                    exec(code, namespace)
            except Exception as exc:
                error = f"{type(exc).__name__}: {exc}"
                if not is_grade_cell(cell):
                    error += "\n" + traceback.format_exc(limit=3)
            if is_grade_cell(cell):
                meta = cell.metadata["nbgrader"]
                max_points = float(meta.get("points", 0))
                results.append(TestResult(meta["grade_id"], 0.0 if error else max_points,
                                          max_points, error,
                                          hidden=BEGIN_HIDDEN in cell.source))
    finally:
        os.chdir(old)
        if "matplotlib.pyplot" in sys.modules:  # a notebook's plots (09's loss curve)
            sys.modules["matplotlib.pyplot"].close("all")
    return results
