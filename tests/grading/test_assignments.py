"""The instructor source notebooks and their student versions.

Fast checks run the notebooks in-process (``exec``); one test executes every
source notebook in a real kernel with nbclient.
"""

from __future__ import annotations

import copy
import re
import subprocess
import sys

import nbformat
import pytest
from helpers import run_in_process, solution_body, source_notebook

from course_pkg import grading
from course_pkg.instructor.coursedir import packaged_assignments
from course_pkg.instructor.notebooks import (
    BANNER_ID,
    BEGIN_HIDDEN,
    BEGIN_SOLUTION,
    execute,
    is_grade_cell,
    read_notebook,
    student_version,
)
from course_pkg.instructor.notebooks import test_results as score_cells

IDS = list(grading.ASSIGNMENTS)


def source(root, aid):
    """The packaged instructor notebook (equal to the one built from the .py source)."""
    return read_notebook(packaged_assignments() / aid / f"{aid}.ipynb")


def blanked(nb):
    """The source with every solution replaced by the stub, hidden tests kept."""
    from nbgrader.preprocessors import ClearSolutions

    nb = copy.deepcopy(nb)
    nb, _ = ClearSolutions().preprocess(nb, {})
    return nb


def with_edit(nb, name, edits):
    nb = copy.deepcopy(nb)
    body = solution_body(nb, name)
    new = body
    for old, rep in edits:
        assert old in new, f"edit {old!r} does not apply to {name}'s solution"
        new = new.replace(old, rep)
    for cell in nb.cells:
        if cell.metadata.get("nbgrader", {}).get("grade_id") == name:
            cell.source = cell.source.replace(body, new)
    return nb


def test_build_script_is_in_sync(root):
    proc = subprocess.run([sys.executable, str(root / "scripts" / "build_assignments.py"),
                           "--check"], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.mark.parametrize("aid", IDS)
def test_packaged_notebook_is_built_from_the_py_source(root, aid):
    assert nbformat.writes(source(root, aid)) == nbformat.writes(source_notebook(aid))


@pytest.mark.parametrize("aid", IDS)
def test_source_notebook_structure(root, aid):
    nb = source(root, aid)
    nbformat.validate(nb)
    assert nb.metadata["kernelspec"]["name"] == "python3"
    banner, *cells = nb.cells
    assert banner.id == BANNER_ID and f"assignments/{aid}/{aid}.py" in banner.source
    assert "make assignments" in banner.source
    header = cells[0].source
    assert "book/" in header and "## The contract" in header and "course check" in header
    ids, prev_nbgrader = set(), None
    for cell in cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, "outputs not cleared"
        meta = cell.metadata.get("nbgrader")
        if not meta:
            continue
        gid = meta["grade_id"]
        assert gid not in ids
        ids.add(gid)
        if meta.get("solution"):
            # the signature and docstring stay, only the body is replaced
            src = cell.source
            assert src.startswith("def ") and '"""' in src.split(BEGIN_SOLUTION)[0]
            assert re.search(r"\n    ### BEGIN SOLUTION\n", src)
        if meta.get("grade"):
            assert re.fullmatch(r"test_[a-z_]+", gid) and meta["points"] > 0
            assert cell.source.startswith('"""'), "a test cell opens with what it checks"
            assert len(cell.source.splitlines()) <= 16, "test cells stay short"
            # nbgrader re-inserts a deleted test cell after the previous graded cell;
            # it must be a solution or test cell (not a locked markdown cell)
            assert prev_nbgrader is not None
        prev_nbgrader = gid
    hidden = [c for c in nb.cells if BEGIN_HIDDEN in c.source]
    assert hidden, "every assignment has hidden tests"


@pytest.mark.parametrize("aid", IDS)
def test_solutions_score_full_marks_in_process(root, aid):
    results = run_in_process(source(root, aid))
    failed = [(r.grade_id, r.message) for r in results if not r.passed]
    assert not failed


@pytest.mark.parametrize("aid", IDS)
def test_blanks_score_zero(root, aid):
    results = run_in_process(blanked(source(root, aid)))
    assert results and sum(r.points for r in results) == 0, [
        r.grade_id for r in results if r.passed]


@pytest.mark.parametrize("aid", IDS)
def test_student_version_has_no_solution_and_no_hidden_test(root, aid):
    src = source(root, aid)
    nb = student_version(src)
    text = nbformat.writes(nb)
    assert "BEGIN SOLUTION" not in text and "HIDDEN TESTS" not in text
    assert "make assignments" not in text and BANNER_ID not in {c.id for c in nb.cells}
    for ex in grading.exercises(aid):
        body_lines = [ln.strip() for ln in solution_body(src, ex.name).splitlines()
                      if len(ln.strip()) > 12]
        for line in body_lines:
            assert line not in text, f"solution line leaked: {line}"
    for cell in src.cells:
        if BEGIN_HIDDEN in cell.source:
            hidden = cell.source.split(BEGIN_HIDDEN)[1].split("### END")[0].strip()
            assert hidden not in text
    assert text.count("raise NotImplementedError()") == len(grading.exercises(aid)) + (
        aid == "06_lstm_backward")
    # the grade cells keep their metadata and points
    assert [c.metadata["nbgrader"]["grade_id"] for c in nb.cells if is_grade_cell(c)] == [
        c.metadata["nbgrader"]["grade_id"] for c in src.cells if is_grade_cell(c)]


@pytest.mark.parametrize("aid", IDS)
def test_every_catalogued_mistake_loses_points_and_is_named(aid):
    src = source_notebook(aid)  # the edits apply to the solutions in assignments/<id>/<id>.py
    total = sum(r.max_points for r in run_in_process(src))
    for ex in grading.exercises(aid):
        for m in ex.mistakes:
            results = run_in_process(with_edit(src, ex.name, m.edit))
            score = sum(r.points for r in results)
            assert 0 <= score < total, (ex.name, m.key)
            named = [r for r in results if m.summary in r.message]
            assert named, f"{ex.name}.{m.key}: no failing test names the mistake"


@pytest.mark.slow
def test_source_notebooks_run_clean_in_a_kernel(root):
    """Execute every source notebook with nbclient: no error, no stderr."""
    for aid in IDS:
        nb = execute(source(root, aid), cwd=packaged_assignments() / aid)
        errors = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs
                  if o.output_type == "error"
                  or (o.output_type == "stream" and o.name == "stderr")]
        assert not errors, (aid, errors[:1])
        assert all(r.passed for r in score_cells(nb)), aid
