"""Grade a submission with tests the student cannot tamper with.

The scores come from the *instructor's* test cells (visible and hidden, from
the source notebook), executed in the grader's process against stand-ins for
the student's functions (:class:`~.isolation.StudentFunction`). The student's
notebook contributes only its code cells other than the test cells; they run
in a separate process, in the sandbox when a launcher is given. So:

* an edited or deleted test cell changes nothing (the source's cell is run);
* a student cannot patch ``numpy.testing``, ``grading`` or ``builtins`` of the
  grader, nor return an object that compares equal to everything: only
  numeric arrays, numbers and containers of them come back;
* the reference and the mistake catalogues are not in the student's process:
  its ``course_pkg`` holds only what the assignment's import cell uses
  (pure utilities by copy, reference functions such as 06's ``lstm_forward``
  as calls to the grader);
* every test cell ends with a definite score and a reason.

Example
-------
>>> results = grade_submission(source_nb, submitted_nb, timeout=10)   # doctest: +SKIP
>>> [(r.grade_id, r.score, r.status) for r in results]                # doctest: +SKIP
"""

from __future__ import annotations

import ast
import contextlib
import importlib
import importlib.util
import io
import pathlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .. import grading
from .isolation import GradingStopped, Launcher, StudentCrashed, StudentProcess, StudentTimeout

__all__ = ["CellResult", "allowed_imports", "grade_submission", "student_cells", "summary",
           "tampered_tests"]

#: Package modules a student's process may hold a copy of: numerical utilities
#: that contain no assignment's answer. Everything else a notebook imports from
#: course_pkg is called in the grader's process instead.
COPYABLE = ("course_pkg._checks", "course_pkg.activations", "course_pkg.gradcheck")

#: The marker of a test cell with hidden tests: those draw from the student's variant.
HIDDEN_MARK = "### BEGIN HIDDEN TESTS"


@dataclass(frozen=True)
class CellResult:
    """The outcome of one test cell.

    ``status`` is one of ``passed``, ``failed`` (a check said no), ``timeout``,
    ``crashed`` (the student's process died), ``error`` (the test could not
    run, e.g. the function is missing) and ``tampered`` (the test cell was
    deleted or edited); ``message`` says why, for the feedback.
    """

    grade_id: str
    score: float
    max_score: float
    status: str
    message: str = ""
    output: str = ""


def _nbgrader(cell: Mapping[str, Any]) -> dict:
    return dict(cell.get("metadata", {}).get("nbgrader", {}))


def _source(cell: Mapping[str, Any]) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else str(src)


def _is_test(cell: Mapping[str, Any]) -> bool:
    md = _nbgrader(cell)
    return cell.get("cell_type") == "code" and bool(md.get("grade")) and not md.get("solution")


def _to_python(source: str) -> str:
    """IPython syntax (``%magic``, ``!cmd``) turned into plain Python."""
    from IPython.core.inputtransformer2 import TransformerManager

    try:
        return TransformerManager().transform_cell(source)
    except SyntaxError:
        return source  # compiled in the student's process, where the error is reported


def student_cells(submitted: Mapping[str, Any], test_ids: set[str]) -> list[str]:
    """The code the student's process runs: every code cell but the tests.

    A cell counts as a test when nbgrader marks it as one or when its
    ``grade_id`` is one of the source's tests (a student who unlocks a test
    cell and turns it into "code" cannot smuggle it into the run).
    """
    cells = []
    for cell in submitted.get("cells", []):
        if cell.get("cell_type") != "code":
            continue
        if _is_test(cell) or _nbgrader(cell).get("grade_id") in test_ids:
            continue
        cells.append(_to_python(_source(cell)))
    return cells


def tampered_tests(released: Mapping[str, Any], submitted: Mapping[str, Any]) -> dict[str, str]:
    """Test cells the student deleted or edited: ``grade_id -> reason``.

    A test cell must reach the grader as it was released. The grader runs the
    instructor's copy either way, but a deleted or edited test cell scores 0
    (the course's rule, stated in the students' guide, appendix C, and
    warned about by ``course check``), so that nobody gains by
    removing a test they fail and everybody sees why the points are gone.
    """
    given = {}
    for cell in submitted.get("cells", []):
        grade_id = _nbgrader(cell).get("grade_id")
        if grade_id:
            given[grade_id] = cell
    reasons = {}
    for cell in released.get("cells", []):
        if not _is_test(cell):
            continue
        grade_id = _nbgrader(cell)["grade_id"]
        mine = given.get(grade_id)
        if mine is None:
            reasons[grade_id] = (f"test cell {grade_id} was deleted from the submission, "
                                 "so it scores 0 (ask your instructor if this was an accident)")
        elif _source(mine).strip() != _source(cell).strip() or not _is_test(mine):
            reasons[grade_id] = (f"test cell {grade_id} was edited in the submission, so it "
                                 "scores 0; the grader ran the original test (ask your "
                                 "instructor if this was an accident)")
    return reasons


def allowed_imports(source: Mapping[str, Any]) -> tuple[list[tuple[str, str]], dict, dict]:
    """What the assignment's code may import from course_pkg, read from its import cell.

    Returns
    -------
    copied : list of (module, source)
        Utility modules the student's process gets a copy of, dependencies first.
    remote : dict
        ``module -> {name: function}`` for names run in the grader's process.
    grader_names : dict
        Every name the source's set-up cells define (``np``, ``grading``,
        ``lstm_forward``, ...), real objects, for the test cells.
    """
    setup = [c for c in source.get("cells", [])
             if c.get("cell_type") == "code" and not _is_test(c) and not _nbgrader(c)]
    copied: list[tuple[str, str]] = []
    remote: dict[str, dict[str, Any]] = {}
    grader_names: dict[str, Any] = {}
    for cell in setup[:1]:  # the import cell is the first code cell without nbgrader marks
        src = _source(cell)
        exec(compile(src, "<imports>", "exec"), grader_names)
        for node in ast.walk(ast.parse(src)):
            if not (isinstance(node, ast.ImportFrom) and node.module
                    and node.module.startswith("course_pkg")):
                continue
            for alias in node.names:
                full = f"{node.module}.{alias.name}"
                if full == "course_pkg.grading":
                    continue
                if node.module in COPYABLE:
                    for dep in _with_dependencies(node.module):
                        if dep not in [m for m, _ in copied]:
                            copied.append((dep, _module_source(dep)))
                else:
                    module = importlib.import_module(node.module)
                    remote.setdefault(node.module, {})[alias.name] = getattr(module, alias.name)
    grader_names.pop("__builtins__", None)
    return copied, remote, grader_names


def _module_source(name: str) -> str:
    spec = importlib.util.find_spec(name)
    if spec is None or spec.origin is None:
        raise FileNotFoundError(f"cannot find the source of {name}")
    return pathlib.Path(spec.origin).read_text(encoding="utf-8")


def _with_dependencies(name: str) -> list[str]:
    """``name`` after the package modules it imports relatively (depth first)."""
    order: list[str] = []
    for node in ast.walk(ast.parse(_module_source(name))):
        if isinstance(node, ast.ImportFrom) and node.level == 1 and node.module:
            for dep in _with_dependencies(f"course_pkg.{node.module}"):
                if dep not in order:
                    order.append(dep)
    return [*order, name]


def grade_submission(
    source: Mapping[str, Any],
    submitted: Mapping[str, Any],
    *,
    launcher: Launcher | None = None,
    timeout: float = 10.0,
    load_timeout: float = 60.0,
    released: Mapping[str, Any] | None = None,
    variant: grading.Variant | None = None,
) -> list[CellResult]:
    """Score every test cell of ``source`` against the code of ``submitted``.

    Parameters
    ----------
    source : dict
        The instructor's notebook (solutions and hidden tests), as JSON.
    submitted : dict
        The student's notebook, as JSON (an unreadable one is the caller's
        to report; any cell content is acceptable here).
    launcher : callable, optional
        Wraps the student's process in the sandbox (see ``sandbox.py``).
    timeout, load_timeout : float
        Seconds per call of a student function, and for running the cells.
    released : dict, optional
        The student version as released: a test cell of ``submitted`` that is
        missing or differs from it scores 0 (see :func:`tampered_tests`).
    variant : grading.Variant, optional
        The student's variant (:func:`course_pkg.grading.variant`): the hidden
        test cells draw their random inputs from it, and their output names
        it. Without it every test uses the notebook's fixed seeds.

    Returns
    -------
    list of CellResult
        One per test cell of ``source``, in order, each with a definite score.
    """
    tests = [c for c in source.get("cells", []) if _is_test(c)]
    test_ids = {_nbgrader(c).get("grade_id") for c in tests}
    copied, remote, grader_names = allowed_imports(source)
    cells = student_cells(submitted, test_ids)
    tampered = tampered_tests(released, submitted) if released is not None else {}
    results: list[CellResult] = []
    proc = StudentProcess(cells, copied, remote, launcher=launcher, timeout=timeout,
                          load_timeout=load_timeout)
    try:
        proc.start()
    except GradingStopped as stop:  # nothing can be called: every test scores 0, says why
        proc.close()
        status = "timeout" if isinstance(stop, StudentTimeout) else "crashed"
        return [CellResult(str(_nbgrader(c).get("grade_id")), 0.0,
                           float(_nbgrader(c).get("points", 0)), status, stop.reason)
                for c in tests]
    try:
        for cell in tests:
            hidden = variant if HIDDEN_MARK in _source(cell) else None
            result = _run_test(cell, proc, grader_names, hidden)
            if result.grade_id in tampered:
                result = CellResult(result.grade_id, 0.0, result.max_score, "tampered",
                                    tampered[result.grade_id], result.output)
            results.append(result)
    finally:
        proc.close()
    return results


def _run_test(cell: Mapping[str, Any], proc: StudentProcess,
              grader_names: Mapping[str, Any],
              variant: grading.Variant | None = None) -> CellResult:
    md = _nbgrader(cell)
    grade_id, points = str(md.get("grade_id")), float(md.get("points", 0))
    out = io.StringIO()
    if variant is not None:
        out.write(f"[{variant.describe()}]\n")
    try:
        namespace: dict[str, Any] = {**grader_names, "np": np, "grading": grading}
        namespace.update({name: proc.function(name) for name in proc.functions})
        with contextlib.redirect_stdout(out), grading.use_variant(variant):
            exec(compile(_source(cell), f"<test {grade_id}>", "exec"), namespace)
    except StudentTimeout as stop:
        return CellResult(grade_id, 0.0, points, "timeout", stop.reason, _clip(out.getvalue()))
    except (StudentCrashed, GradingStopped) as stop:
        return CellResult(grade_id, 0.0, points, "crashed", stop.reason, _clip(out.getvalue()))
    except AssertionError as err:
        return CellResult(grade_id, 0.0, points, "failed", str(err), _clip(out.getvalue()))
    except Exception as err:  # the test could not run: a missing function, a crash in it
        message = f"{type(err).__name__}: {err}"
        if isinstance(err, NameError) and proc.load_errors:
            message += "\nYour notebook's code cells raised errors while they ran:\n" + "\n".join(
                f"  code cell {k + 1}: {text}" for k, text in proc.load_errors)
        return CellResult(grade_id, 0.0, points, "error", message, _clip(out.getvalue()))
    return CellResult(grade_id, points, points, "passed", "", _clip(out.getvalue()))


#: Characters of a test cell's printed output kept for the feedback (a student's
#: gradient check can return a result whose printout is as long as it likes).
MAX_TEST_OUTPUT = 20_000


def _clip(text: str) -> str:
    if len(text) <= MAX_TEST_OUTPUT:
        return text
    return text[:MAX_TEST_OUTPUT] + f"\n[output truncated by the grader: {len(text)} characters]\n"


def summary(results: Sequence[CellResult]) -> str:
    """One line: score, and the number of cells per non-passing status."""
    got = sum(r.score for r in results)
    total = sum(r.max_score for r in results)
    bad = {}
    for r in results:
        if r.status != "passed":
            bad[r.status] = bad.get(r.status, 0) + 1
    tail = ", ".join(f"{n} {s}" for s, n in sorted(bad.items()))
    return f"{got:g}/{total:g}" + (f" ({tail})" if tail else "")
