"""nbgrader settings shared by the repository and every course directory.

Both ``nbgrader_config.py`` at the repository root and the one that
``course init`` writes call :func:`apply_config`, so the fixes below hold
wherever nbgrader runs:

* ``IgnorePattern``: a passing test cell that writes a warning to stderr
  (a numpy ``RuntimeWarning``, a ``DeprecationWarning`` ...) would score 0,
  because nbgrader treats any stderr output as a failure. Warning lines are
  removed before grading. (The grading helpers also silence warnings.)
* ``OverwriteCells.add_missing_cells``: a deleted test cell (or one whose
  metadata was stripped) is put back from the source; its first line then
  raises, so it scores 0 instead of leaving a NULL grade to grade by hand.
  Edited test cells are always restored from the source by nbgrader.
* ``GenerateFeedback.preprocessors`` gains ``ClearHiddenTests``: the feedback
  HTML does not show the hidden tests' source.
* ``GenerateAssignment.preprocessors`` starts with ``RemoveBanner``: the
  "generated from assignments/<id>/<id>.py" banner of the instructor source
  is not released to students. The rest is nbgrader 0.9's default list.
* ``Autograde.autograde_preprocessors`` starts with ``TrustedExecute``
  instead of nbgrader's ``Execute``: the test cells are not run in the
  student's kernel but in the grader's process, against the student's
  functions running in a sandboxed process of their own
  (:mod:`course_pkg.instructor.trusted_execute`). The rest is nbgrader 0.9's
  default list, without ``IgnorePattern`` (no student output is graded).
* ``Execute.extra_arguments``: the kernel prints tracebacks in IPython's
  ``Minimal`` mode (exception type and message only), so the feedback shows
  the assertion message written by :mod:`course_pkg.grading` and not the
  hidden lines around the failing call.
"""

from __future__ import annotations

from typing import Any

__all__ = ["AUTOGRADE_PREPROCESSORS", "BANNER_ID", "FEEDBACK_PREPROCESSORS",
           "GENERATE_PREPROCESSORS", "MISSING_CELL_NOTE", "WARNING_PATTERN", "apply_config"]

#: Cell id of the "generated from ..., edit that file" banner of the instructor sources.
BANNER_ID = "generated-from"

#: stderr text removed before grading: Python warnings ("...: RuntimeWarning: ...").
WARNING_PATTERN = (
    r"(?s)^(\s*\S*:\d+: \w*Warning: .*|.*(RuntimeWarning|DeprecationWarning|"
    r"PendingDeprecationWarning|FutureWarning|UserWarning): .*)$"
)

#: First line commented by nbgrader; the second makes a restored cell score 0.
MISSING_CELL_NOTE = (
    "Test cell {cell_id} was missing from the submission; nbgrader restored it and it "
    "scores 0 (ask your instructor if this was an accident).\n"
    "raise AssertionError('test cell {cell_id} was deleted from the submission: 0 points')\n"
)

FEEDBACK_PREPROCESSORS = [
    "nbgrader.preprocessors.GetGrades",
    "nbgrader.preprocessors.ClearHiddenTests",
    "nbconvert.preprocessors.CSSHTMLHeaderPreprocessor",
]


#: nbgrader 0.9's ``GenerateAssignment.preprocessors``, after removing the banner.
GENERATE_PREPROCESSORS = [
    "course_pkg.instructor.notebooks.RemoveBanner",
    *(f"nbgrader.preprocessors.{name}" for name in (
        "IncludeHeaderFooter", "InstantiateTests", "LockCells", "ClearSolutions", "ClearOutput",
        "CheckCellMetadata", "ComputeChecksums", "SaveCells", "ClearHiddenTests",
        "ClearMarkScheme", "ComputeChecksums", "CheckCellMetadata")),
]


#: nbgrader 0.9's ``Autograde.autograde_preprocessors`` with trusted grading for ``Execute``.
AUTOGRADE_PREPROCESSORS = [
    "course_pkg.instructor.trusted_execute.TrustedExecute",
    "nbconvert.preprocessors.ClearMetadataPreprocessor",
    *(f"nbgrader.preprocessors.{name}" for name in (
        "LimitOutput", "SaveAutoGrades", "AssignLatePenalties", "CheckCellMetadata")),
]


def apply_config(c: Any) -> Any:
    """Apply the course's nbgrader settings to the config object ``c``."""
    c.IgnorePattern.enabled = True
    c.IgnorePattern.pattern = WARNING_PATTERN
    c.OverwriteCells.add_missing_cells = True
    c.OverwriteCells.missing_cell_notification = MISSING_CELL_NOTE
    c.GenerateFeedback.preprocessors = list(FEEDBACK_PREPROCESSORS)
    c.GenerateAssignment.preprocessors = list(GENERATE_PREPROCESSORS)
    c.Autograde.autograde_preprocessors = list(AUTOGRADE_PREPROCESSORS)
    c.Execute.timeout = 120
    c.Execute.extra_arguments = [
        "--HistoryManager.hist_file=:memory:",
        "--InteractiveShell.xmode=Minimal",
    ]
    c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
    return c
