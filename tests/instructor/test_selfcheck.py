"""``course check``: changed test cells are flagged, and a loop does not hide the results."""

from __future__ import annotations

import json

import pytest

from course_pkg.instructor import cli
from course_pkg.instructor.coursedir import packaged_assignments
from course_pkg.instructor.notebooks import read_notebook, student_version, write_notebook

AID = "01_forget_gate"
STUB = "# YOUR CODE HERE\n    raise NotImplementedError()"


def _student(tmp_path, body: str, edit=None):
    nb = student_version(read_notebook(packaged_assignments() / AID / f"{AID}.ipynb"))
    for cell in nb.cells:
        if cell.metadata.get("nbgrader", {}).get("grade_id") == "forget_gate":
            cell.source = cell.source.replace(STUB, body)
    if edit:
        edit(nb)
    path = tmp_path / f"{AID}.ipynb"
    write_notebook(nb, path)
    return path


RIGHT = "return sigmoid(np.concatenate([h_prev, x], axis=1) @ W_f + b_f)"


@pytest.mark.slow
def test_check_warns_about_deleted_and_edited_test_cells(tmp_path, capsys):
    def edit(nb):
        tests = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade")
                 and not c.metadata["nbgrader"].get("solution")]
        tests[0].source = "pass"
        nb.cells.remove(tests[1])

    path = _student(tmp_path, RIGHT, edit)
    code = cli.main(["check", str(path)])
    out = capsys.readouterr().out
    assert "WARNING: test cell test_forget_gate_shape was edited" in out
    assert "WARNING: test cell test_forget_gate_range was deleted" in out
    assert code == 0  # the remaining visible tests pass


@pytest.mark.slow
def test_an_untouched_notebook_gets_no_warning(tmp_path, capsys):
    assert cli.main(["check", str(_student(tmp_path, RIGHT))]) == 0
    assert "WARNING" not in capsys.readouterr().out


@pytest.mark.slow
def test_check_reports_every_test_after_a_timeout(tmp_path, capsys):
    body = "if W_f.shape[1] == 5:\n        while True:\n            pass\n    " + RIGHT
    code = cli.main(["check", str(_student(tmp_path, body)), "--timeout", "3"])
    out = capsys.readouterr().out
    assert code == 1
    assert "FAIL  test_forget_gate_shape" in out and "did not return within 3 s" in out
    assert "PASS  test_forget_gate_known" in out  # later tests still ran
    assert json.loads((tmp_path / f"{AID}.ipynb").read_text())  # the file is untouched
