"""Notebook I/O and transformations behind the ``course`` command.

* :func:`read_notebook` with clear errors for a missing file or bad JSON,
  :func:`write_notebook` (atomic);
* :func:`student_version`: the notebook without solutions, hidden tests,
  outputs or the "generated from" banner, with the same cell metadata and
  checksums as ``nbgrader generate_assignment`` writes (so a copy downloaded
  from the book can be collected and autograded like a released one);
  :class:`RemoveBanner` drops the banner in nbgrader's own release;
* :func:`execute` (a real kernel, via nbclient) and :func:`test_results`,
  which scores the grade cells the way nbgrader does.
"""

from __future__ import annotations

import ast
import copy
import json
import os
import pathlib
import re
import tempfile
from dataclasses import dataclass
from typing import Any

import nbformat
from nbconvert.preprocessors import Preprocessor
from traitlets import Bool

from .errors import CourseError
from .nbconfig import BANNER_ID, WARNING_PATTERN

__all__ = [
    "BANNER_ID",
    "RemoveBanner",
    "TestResult",
    "execute",
    "is_grade_cell",
    "read_notebook",
    "remove_banner",
    "student_version",
    "test_results",
    "write_notebook",
]

BEGIN_SOLUTION = "### BEGIN SOLUTION"
END_SOLUTION = "### END SOLUTION"
BEGIN_HIDDEN = "### BEGIN HIDDEN TESTS"


def read_notebook(path: str | os.PathLike) -> nbformat.NotebookNode:
    """Read and validate a notebook, or raise :class:`CourseError` saying what is wrong."""
    path = pathlib.Path(path)
    if not path.exists():
        raise CourseError(f"no such notebook: {path}")
    if path.is_dir():
        raise CourseError(f"{path} is a directory; give the path of an .ipynb file")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise CourseError(f"{path} is not a text (UTF-8) notebook file: {exc}") from None
    try:
        nb = nbformat.reads(text, as_version=4)
    except (json.JSONDecodeError, nbformat.reader.NotJSONError) as exc:
        raise CourseError(
            f"{path} is not valid notebook JSON ({str(exc).splitlines()[0][:200]}). "
            "Was it saved completely? Re-download it, or restore it from a checkpoint "
            "(File > Revert Notebook to Checkpoint)."
        ) from None
    except Exception as exc:  # nbformat raises various errors for malformed notebooks
        raise CourseError(f"{path} is not a readable notebook: {exc}") from None
    return nb


def write_notebook(nb: nbformat.NotebookNode, path: str | os.PathLike) -> None:
    """Write ``nb`` atomically: to a temporary file in the same folder, then rename.

    An existing file with identical content is left untouched, so that tools
    watching modification times (the book's execution cache) see no change.
    """
    path = pathlib.Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    text = nbformat.writes(nb)
    if not text.endswith("\n"):
        text += "\n"
    if path.exists():
        try:
            if path.read_text(encoding="utf-8") == text:
                return
        except (OSError, UnicodeDecodeError):
            pass
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        pathlib.Path(tmp).unlink(missing_ok=True)
        raise


def _nbg(cell) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {})


def is_grade_cell(cell) -> bool:
    return cell.cell_type == "code" and bool(_nbg(cell).get("grade"))



def remove_banner(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Drop the instructors' "generated from ..." banner cell (in place); return ``nb``."""
    nb.cells = [c for c in nb.cells if c.get("id") != BANNER_ID]
    return nb


class RemoveBanner(Preprocessor):
    """nbgrader/nbconvert preprocessor: the released notebook has no instructors' banner."""

    enabled = Bool(True).tag(config=True)  # nbconvert's preprocessors are off by default

    def preprocess(self, nb, resources):
        return remove_banner(nb), resources


def student_version(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Return the student version of an instructor source notebook.

    Removes the instructors' banner, then applies nbgrader's own
    preprocessors in ``generate_assignment``'s order, minus the database:
    lock cells, clear solutions and outputs, checksum, clear hidden tests,
    checksum again, check metadata.
    """
    from nbgrader.preprocessors import (
        CheckCellMetadata,
        ClearHiddenTests,
        ClearMarkScheme,
        ClearOutput,
        ClearSolutions,
        ComputeChecksums,
        LockCells,
    )
    from traitlets.config import Config

    from .nbconfig import apply_config

    config = apply_config(Config())
    nb = remove_banner(copy.deepcopy(nb))
    resources: dict[str, Any] = {}
    for pp_class in (LockCells, ClearSolutions, ClearOutput, CheckCellMetadata,
                     ComputeChecksums, ClearHiddenTests, ClearMarkScheme, ComputeChecksums,
                     CheckCellMetadata):
        nb, resources = pp_class(config=config).preprocess(nb, resources)
    return nb



@dataclass
class TestResult:
    grade_id: str
    points: float
    max_points: float
    message: str = ""
    hidden: bool = False

    @property
    def passed(self) -> bool:
        return self.points == self.max_points


def execute(nb: nbformat.NotebookNode, cwd: str | os.PathLike | None = None,
            timeout: int = 120) -> nbformat.NotebookNode:
    """Execute a copy of ``nb`` in a fresh kernel; errors stay in the outputs."""
    from nbclient import NotebookClient

    nb = copy.deepcopy(nb)
    # A cell that runs past the timeout is interrupted and shows why; the
    # notebook goes on, so every test still reports a result.
    on_timeout = {"ename": "TimeoutError", "evalue": f"the cell did not return within "
                  f"{timeout} s (an infinite loop?)", "traceback": []}
    client = NotebookClient(
        nb, timeout=timeout, kernel_name="python3", allow_errors=True,
        interrupt_on_timeout=True, error_on_timeout=on_timeout,
        resources={"metadata": {"path": str(cwd or os.getcwd())}},
        # The kernel listens on loopback only; its "running over TCP without
        # encryption" warning would alarm students on every check.
        extra_arguments=["--HistoryManager.hist_file=:memory:", "--IPKernelApp.log_level=ERROR"],
    )
    client.execute()
    for cell in nb.cells:  # an interrupted cell says why it was interrupted
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error" and out.get("ename") == "KeyboardInterrupt":
                out.ename, out.evalue = on_timeout["ename"], on_timeout["evalue"]
    return nb


_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def _only_docstring(source: str) -> bool:
    try:
        body = ast.parse(source).body
    except SyntaxError:
        return False
    return len(body) == 1 and isinstance(body[0], ast.Expr) and isinstance(
        getattr(body[0], "value", None), ast.Constant)


def test_results(nb: nbformat.NotebookNode) -> list[TestResult]:
    """Score the grade cells of an executed notebook as nbgrader does.

    An error output or any stderr output (after removing warnings, like the
    course's IgnorePattern setting) gives 0; otherwise full points.
    """
    results = []
    for cell in nb.cells:
        if not is_grade_cell(cell):
            continue
        meta = _nbg(cell)
        max_points = float(meta.get("points", 0))
        res = TestResult(meta["grade_id"], max_points, max_points,
                         hidden=BEGIN_HIDDEN in cell.source or _only_docstring(cell.source))
        for out in cell.get("outputs", []):
            if out.output_type == "error":
                res.points = 0.0
                res.message = f"{out.ename}: {_ANSI.sub('', out.evalue)}"
                break
            if out.output_type == "stream" and out.name == "stderr":
                if re.search(WARNING_PATTERN, out.text):
                    continue
                res.points = 0.0
                res.message = "wrote to stderr: " + out.text.strip()[:500]
                break
        results.append(res)
    return results

