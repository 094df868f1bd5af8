"""``TrustedExecute``: nbgrader's autograde step, with trusted grading instead of a kernel.

nbgrader's ``autograde`` runs a chain of preprocessors over each submission;
the one that matters, ``Execute``, runs the whole notebook, hidden tests
included, in one kernel next to the student's code, and ``SaveAutoGrades``
then reads each test cell's outputs (an error output means zero). This
preprocessor takes ``Execute``'s place: it scores every test cell with
:func:`~.trusted.grade_submission` and writes the verdict as the cell's output
(an ``error`` output for a failing test, the test's printed output for a
passing one), so nbgrader's own bookkeeping (gradebook, late penalties,
feedback) works unchanged on scores it did not compute in the student's
kernel.

The hidden test cells run in the student's variant (``grading.variant`` of the
student id and assignment, salted with ``$COURSE_VARIANT_SALT``): their
random inputs, and so the expected values they print, are the student's own.

By the time this runs, nbgrader's ``OverwriteCells`` has restored the test
cells (hidden tests included) from the gradebook, so an edited or deleted
test cell cannot change anything.
"""

from __future__ import annotations

import json
import os
import pathlib
from typing import Any

from nbformat import from_dict
from nbgrader.preprocessors import NbGraderPreprocessor
from traitlets import Bool, Float, Unicode

from .. import grading
from .sandbox import student_launcher
from .trusted import CellResult, grade_submission, summary

__all__ = ["ENAME_STATUS", "TrustedExecute", "verdict_output"]

#: The error name a verdict is shown under in the notebook, for each status.
STATUS_ENAME = {"failed": "AssertionError", "timeout": "TimeoutError",
                "crashed": "StudentProcessDied", "tampered": "TestCellChanged",
                "error": "TestError"}
ENAME_STATUS = {v: k for k, v in STATUS_ENAME.items()}


def verdict_output(result) -> list[dict[str, Any]]:
    """The notebook outputs that show a test cell's :class:`~.trusted.CellResult`."""
    outputs: list[dict[str, Any]] = []
    if result.output:
        outputs.append({"output_type": "stream", "name": "stdout", "text": result.output})
    if result.status != "passed":
        ename = STATUS_ENAME.get(result.status, "TestError")
        outputs.append({"output_type": "error", "ename": ename, "evalue": result.message,
                        "traceback": [f"{ename}: {result.message}"]})
    return outputs


def _read(path: pathlib.Path, what: str) -> dict:
    if not path.is_file():
        raise FileNotFoundError(f"{what} {path} is missing (run `course release` and "
                                "`course collect` first)")
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise ValueError(f"{what} {path} is not a readable notebook ({err})") from None


class TrustedExecute(NbGraderPreprocessor):
    """Score the test cells outside the student's process (see the module docstring)."""

    course_root = Unicode(
        "", help="The course directory: the instructor's notebook in source/<assignment>/ "
                 "says what the student's code may import, the released one in "
                 "release/<assignment>/ and the submitted one in submitted/<student>/"
                 "<assignment>/ show whether a test cell was deleted or edited.").tag(
        config=True)
    timeout = Float(10.0, help="Seconds one call of a student's function may take.").tag(
        config=True)
    load_timeout = Float(60.0, help="Seconds for running the notebook's cells once.").tag(
        config=True)
    sandbox = Bool(True, help="Run the student's code in the grading sandbox (off only "
                              "for debugging: a warning says so).").tag(config=True)
    results_dir = Unicode(
        "", help="A folder of <student>.json results already computed by "
                 "course_pkg.instructor.parallel (course autograde -j/--dask): a student "
                 "with one is not graded again, its stored verdicts are written.").tag(
        config=True)

    variants = Bool(True, help="Draw the hidden tests' random inputs from a hash of the "
                               "student id (per-student variants).").tag(config=True)
    variant_salt = Unicode(os.environ.get("COURSE_VARIANT_SALT", ""),
                           help="Course secret mixed into the variants' hash (default: "
                                "$COURSE_VARIANT_SALT).").tag(config=True)

    def preprocess(self, nb, resources):
        info = resources["nbgrader"]
        root = pathlib.Path(self.course_root or ".").resolve()
        name = f"{info['notebook']}.ipynb"
        stored = self._stored(info["student"])
        if stored is not None:  # graded by course autograde's workers (parallel.py)
            results = {r.grade_id: r for r in stored}
        else:
            source = _read(root / "source" / info["assignment"] / name,
                           "the instructor's notebook")
            released = _read(root / "release" / info["assignment"] / name,
                             "the released notebook")
            submitted = _read(root / "submitted" / info["student"] / info["assignment"] / name,
                              "the submitted notebook")
            launcher = student_launcher() if self.sandbox else None
            variant = (grading.variant(info["student"], info["assignment"], self.variant_salt)
                       if self.variants else None)
            results = {r.grade_id: r for r in grade_submission(
                source, submitted, launcher=launcher, timeout=self.timeout,
                load_timeout=self.load_timeout, released=released, variant=variant)}
        for cell in nb.cells:
            md = cell.metadata.get("nbgrader", {})
            if cell.cell_type == "code" and md.get("grade") and not md.get("solution"):
                result = results.get(md.get("grade_id"))
                if result is None:  # not a test of the source: nbgrader restored it anyway
                    continue
                cell.outputs = [from_dict(o) for o in verdict_output(result)]
        self.log.info("Graded %s of %s: %s", info["student"], info["assignment"],
                      summary(list(results.values())))
        return nb, resources

    def _stored(self, student: str) -> list[CellResult] | None:
        if not self.results_dir:
            return None
        path = pathlib.Path(self.results_dir) / f"{student}.json"
        if not path.is_file():
            return None
        results = json.loads(path.read_text(encoding="utf-8")).get("results")
        return None if results is None else [CellResult(**r) for r in results]
