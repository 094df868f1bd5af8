"""Trusted grading: the verdict is computed where the student's code cannot reach.

Each attack below made a wrong answer score (nearly) full marks when the
tests ran in the student's kernel. Here the student's code runs in its own
process and the instructor's test cells run in the grader's; every attack
must score exactly what the same wrong answer scores without it.
"""

from __future__ import annotations

import copy
import json
import pathlib
import re
import time

import pytest

from course_pkg.instructor.coursedir import packaged_assignments
from course_pkg.instructor.trusted import grade_submission, summary

DATA = packaged_assignments()
ASSIGNMENTS = sorted(p.parent.name for p in DATA.glob("*/*.ipynb"))

WRONG_FORGET = "return np.tanh(np.concatenate([h_prev, x], axis=1) @ W_f + b_f)"


def source(aid: str) -> dict:
    return json.loads((DATA / aid / f"{aid}.ipynb").read_text())


def with_solution(nb: dict, grade_id: str, body: str) -> dict:
    """``nb`` with the body of solution cell ``grade_id`` replaced (signature kept)."""
    nb = copy.deepcopy(nb)
    for cell in nb["cells"]:
        if cell["metadata"].get("nbgrader", {}).get("grade_id") == grade_id:
            src = "".join(cell["source"])
            indent = re.search(r"^(\s*)### BEGIN SOLUTION", src, re.M).group(1)
            new = "\n".join(indent + line for line in body.splitlines())
            cell["source"] = re.sub(r"^\s*### BEGIN SOLUTION.*?### END SOLUTION",
                                    lambda _, new=new: new, src, flags=re.S | re.M)
            return nb
    raise KeyError(grade_id)


def with_cell(nb: dict, code: str) -> dict:
    """``nb`` with a student's code cell appended."""
    nb = copy.deepcopy(nb)
    nb["cells"].append({"cell_type": "code", "metadata": {}, "source": code,
                        "outputs": [], "execution_count": None})
    return nb


def score(results) -> float:
    return sum(r.score for r in results)


@pytest.fixture(scope="module")
def nb01():
    return source("01_forget_gate")


@pytest.fixture(scope="module")
def wrong01(nb01):
    """Assignment 01 with tanh for sigmoid, and its honest score."""
    nb = with_solution(nb01, "forget_gate", WRONG_FORGET)
    return nb, score(grade_submission(nb01, nb))


@pytest.mark.parametrize("aid", ASSIGNMENTS)
def test_honest_solution_scores_full(aid):
    nb = source(aid)
    results = grade_submission(nb, nb)
    assert all(r.status == "passed" for r in results), summary(results)
    assert score(results) == sum(r.max_score for r in results) > 0


@pytest.mark.parametrize("aid", ["01_forget_gate", "05_lstm_forward", "08_attention"])
def test_blank_notebook_scores_zero_with_reasons(aid):
    nb = source(aid)
    blank = copy.deepcopy(nb)
    for cell in blank["cells"]:
        if cell["metadata"].get("nbgrader", {}).get("solution"):
            cell["source"] = re.sub(r"### BEGIN SOLUTION.*?### END SOLUTION",
                                    "raise NotImplementedError()", "".join(cell["source"]),
                                    flags=re.S)
    results = grade_submission(nb, blank)
    assert score(results) == 0
    assert all(r.status in ("failed", "error") and r.message for r in results)


def test_wrong_answer_loses_points(wrong01, nb01):
    _, wrong = wrong01
    assert 0 < wrong < 9


ATTACKS = {
    "patch numpy.testing": (
        "import numpy.testing\n"
        "numpy.testing.assert_allclose = lambda *a, **k: None\n"
        "numpy.testing.assert_array_equal = lambda *a, **k: None\n"
        "np.allclose = lambda *a, **k: True\n"),
    "patch the grading helpers": (
        "from course_pkg import grading\n"
        "for name in ['check_shape', 'check_range', 'check_known', 'check_reference',\n"
        "             'check_inputs_unchanged']:\n"
        "    setattr(grading, name, lambda *a, **k: None)\n"),
    "patch builtins": (
        "import builtins\n"
        "builtins.AssertionError = type('Nothing', (Exception,), {})\n"
        "builtins.isinstance = lambda *a: True\n"),
    "print fake results": "print('All tests passed! 9/9')\n",
    "swallow exceptions": (
        "import sys\n"
        "sys.excepthook = lambda *a: None\n"
        "get_ipython().set_custom_exc = None\n"),
    "look for hidden tests in memory": (
        "import gc\n"
        "LEAK = [o for o in gc.get_objects() if isinstance(o, str) and 'check_reference' in o]\n"
        "assert not LEAK, 'hidden tests visible to the student'\n"),
}


@pytest.mark.parametrize("attack", ATTACKS)
def test_attack_scores_no_more_than_the_wrong_answer(attack, wrong01):
    nb, wrong = wrong01
    src = source("01_forget_gate")
    results = grade_submission(src, with_cell(nb, ATTACKS[attack]))
    assert score(results) <= wrong, summary(results)


def test_always_equal_object_scores_zero(nb01):
    body = ("class Equal:\n"
            "    def __eq__(self, other):\n        return True\n"
            "    __array_priority__ = 1e9\n"
            "    shape = property(lambda self: (h_prev.shape[0], W_f.shape[1]))\n"
            "    dtype = np.dtype('float64')\n"
            "return Equal()")
    results = grade_submission(nb01, with_solution(nb01, "forget_gate", body))
    assert score(results) == 0
    assert any("cannot be graded" in r.message for r in results)


def test_array_subclass_comes_back_as_a_plain_array(nb01):
    body = ("class Liar(np.ndarray):\n"
            "    def __eq__(self, other):\n        return np.ones(self.shape, bool)\n"
            "z = np.concatenate([h_prev, x], axis=1)\n"
            "return np.tanh(z @ W_f + b_f).view(Liar)")
    results = grade_submission(nb01, with_solution(nb01, "forget_gate", body))
    wrong = grade_submission(nb01, with_solution(nb01, "forget_gate", WRONG_FORGET))
    assert score(results) == score(wrong) < 9


@pytest.mark.parametrize("module", ["course_pkg.lstm_gates", "course_pkg.grading.gates",
                                    "course_pkg.lstm"])
def test_reference_and_catalogues_are_not_importable(nb01, module):
    body = (f"import importlib\nref = importlib.import_module('{module}')\n"
            "return ref.forget_gate(h_prev, x, W_f, b_f)[0]")
    results = grade_submission(nb01, with_solution(nb01, "forget_gate", body))
    assert score(results) == 0
    assert all("ModuleNotFoundError" in r.message and module in r.message
               for r in results), summary(results)


def test_in_grader_flag_is_true_only_while_the_grader_runs_the_cells(nb01):
    """Notebooks skip their demos with ``if not grading.IN_GRADER`` (assignment 09)."""
    from course_pkg import grading

    assert grading.IN_GRADER is False
    flagged = with_cell(nb01, "from course_pkg import grading\nSEEN = grading.IN_GRADER\n")
    flagged = with_solution(flagged, "forget_gate",
                            "assert SEEN is True\n"
                            "return sigmoid(np.concatenate([h_prev, x], axis=1) @ W_f + b_f)")
    results = grade_submission(nb01, flagged)
    assert score(results) == sum(r.max_score for r in results), summary(results)


@pytest.mark.parametrize("extra", [
    "import os\npid = os.fork()\n",                         # one copy, in the cell
    "import os\nkids = [os.fork() for _ in range(3)]\n",   # 8 processes, each running on
])  # (unconfined here: a real fork bomb runs only in the sandbox, test_parallel.py)
def test_forked_copies_of_the_student_process_do_not_change_the_grade(wrong01, nb01, extra):
    """A copy made by ``os.fork`` leaves instead of answering the grader: before, two
    processes wrote on the link and the grade depended on which one was quicker."""
    nb, wrong = wrong01
    for _ in range(3):
        results = grade_submission(nb01, with_cell(nb, extra))
        assert score(results) == wrong, summary(results)
        assert not any(r.status == "crashed" for r in results), summary(results)


def test_edited_and_deleted_test_cells_change_nothing(wrong01, nb01):
    nb, wrong = wrong01
    edited = copy.deepcopy(nb)
    tests = [c for c in edited["cells"] if c["metadata"].get("nbgrader", {}).get("grade")]
    tests[0]["source"] = "pass"
    edited["cells"].remove(tests[1])
    assert score(grade_submission(nb01, edited)) == wrong


def test_unlocked_test_cell_turned_into_code_is_not_run(nb01):
    """A test cell whose nbgrader marks were removed is still recognised by its id."""
    nb = copy.deepcopy(nb01)
    for cell in nb["cells"]:
        md = cell["metadata"].get("nbgrader", {})
        if md.get("grade") and not md.get("solution"):
            md["grade"] = False
            cell["source"] = "raise SystemExit('boom')"
    assert score(grade_submission(nb01, nb)) == 9


def test_renamed_parameters_score_full(nb01):
    nb = copy.deepcopy(nb01)
    for cell in nb["cells"]:
        if cell["metadata"].get("nbgrader", {}).get("grade_id") == "forget_gate":
            cell["source"] = ("def forget_gate(h, x_t, W, b):\n"
                              "    return sigmoid(np.concatenate([h, x_t], axis=1) @ W + b)\n")
    results = grade_submission(nb01, nb)
    assert score(results) == 9, summary(results)


def test_infinite_loop_times_out_and_the_next_tests_still_run(nb01):
    body = ("import signal\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\n"
            "if W_f.shape[1] == 5:\n    while True:\n        pass\n"
            "z = np.concatenate([h_prev, x], axis=1)\nreturn sigmoid(z @ W_f + b_f)")
    start = time.monotonic()
    results = grade_submission(nb01, with_solution(nb01, "forget_gate", body), timeout=2)
    elapsed = time.monotonic() - start
    by_id = {r.grade_id: r for r in results}
    assert by_id["test_forget_gate_shape"].status == "timeout"
    assert "did not return within 2 s (an infinite loop?)" in by_id[
        "test_forget_gate_shape"].message
    assert by_id["test_forget_gate_known"].status == "passed"  # H = 2 there: no loop
    assert elapsed < 30


def test_infinite_loop_at_top_level_gives_every_test_a_reason(nb01):
    results = grade_submission(nb01, with_cell(nb01, "while True:\n    pass\n"),
                               load_timeout=2)
    assert score(results) == 0
    assert all(r.status == "timeout" and "did not return" in r.message for r in results)


def test_process_that_dies_scores_zero_and_is_restarted(nb01):
    body = ("import os\nif W_f.shape[1] == 5:\n    os._exit(3)\n"
            "z = np.concatenate([h_prev, x], axis=1)\nreturn sigmoid(z @ W_f + b_f)")
    results = grade_submission(nb01, with_solution(nb01, "forget_gate", body))
    by_id = {r.grade_id: r for r in results}
    assert by_id["test_forget_gate_shape"].status == "crashed"
    assert "exited (status 3)" in by_id["test_forget_gate_shape"].message
    assert by_id["test_forget_gate_known"].status == "passed"


def test_failing_import_in_a_cell_is_named_in_the_feedback(nb01):
    nb = with_solution(nb01, "forget_gate", "return 0")
    for cell in nb["cells"]:
        if cell["metadata"].get("nbgrader", {}).get("grade_id") == "forget_gate":
            cell["source"] = "from course_pkg.lstm_gates import forget_gate\n"
    results = grade_submission(nb01, nb)
    assert "not available while your notebook is graded" in results[0].message


def test_gradient_checker_round_trip_through_both_processes():
    """06 passes functions both ways: the student's check calls the grader's backward."""
    nb = source("06_lstm_backward")
    by_id = {r.grade_id: r for r in grade_submission(nb, nb)}
    assert by_id["test_gradient_check_catches_bugs"].status == "passed"
    assert "gradient check" in by_id["test_gradient_check_own_backward"].output


# --- the pieces ----------------------------------------------------------------------------


def test_tampered_tests_names_deleted_edited_and_unmarked_cells(nb01):
    from course_pkg.instructor.notebooks import student_version
    from course_pkg.instructor.trusted import tampered_tests

    released = json.loads(json.dumps(student_version(_node(nb01))))
    assert tampered_tests(released, released) == {}
    sub = copy.deepcopy(released)
    tests = [c for c in sub["cells"] if c["metadata"].get("nbgrader", {}).get("grade")
             and not c["metadata"]["nbgrader"].get("solution")]
    tests[0]["source"] = "pass"
    sub["cells"].remove(tests[1])
    tests[2]["metadata"]["nbgrader"]["grade"] = False
    reasons = tampered_tests(released, sub)
    ids = [c["metadata"]["nbgrader"]["grade_id"] for c in tests[:3]]
    assert set(reasons) == set(ids)
    assert "edited" in reasons[ids[0]] and "deleted" in reasons[ids[1]]


def _node(nb: dict):
    import nbformat

    return nbformat.from_dict(copy.deepcopy(nb))


def test_allowed_imports_follow_the_import_cell():
    from course_pkg.instructor.trusted import allowed_imports

    copied, remote, names = allowed_imports(source("01_forget_gate"))
    assert [m for m, _ in copied] == ["course_pkg._checks", "course_pkg.activations"]
    assert remote == {} and "sigmoid" in names and "grading" in names
    copied, remote, _ = allowed_imports(source("06_lstm_backward"))
    assert [m for m, _ in copied] == ["course_pkg.gradcheck"]
    assert set(remote["course_pkg.lstm"]) == {"init_lstm_params", "lstm_forward"}
    copied, remote, _ = allowed_imports(source("08_attention"))
    assert copied == [] and remote == {}


def test_student_cells_leave_out_every_test(nb01):
    from course_pkg.instructor.trusted import student_cells

    sub = copy.deepcopy(nb01)
    for cell in sub["cells"]:
        md = cell["metadata"].get("nbgrader", {})
        if md.get("grade") and not md.get("solution"):
            md["grade"] = False  # unmarked, but still known by its id
    ids = {c["metadata"]["nbgrader"]["grade_id"] for c in nb01["cells"]
           if c["metadata"].get("nbgrader", {}).get("grade")
           and not c["metadata"]["nbgrader"].get("solution")}
    code = "\n".join(student_cells(sub, ids))
    assert "def forget_gate" in code and "grading.check_" not in code


def test_verdict_output_shows_the_reason():
    from course_pkg.instructor.trusted import CellResult
    from course_pkg.instructor.trusted_execute import verdict_output

    passed = verdict_output(CellResult("t", 1, 1, "passed", "", "printed\n"))
    assert passed == [{"output_type": "stream", "name": "stdout", "text": "printed\n"}]
    timeout = verdict_output(CellResult("t", 0, 1, "timeout", "did not return"))
    assert timeout[-1]["output_type"] == "error" and timeout[-1]["ename"] == "TimeoutError"
    assert timeout[-1]["evalue"] == "did not return"


@pytest.mark.slow
def test_student_process_runs_in_the_sandbox_as_nobody(nb01, tmp_path):
    from course_pkg.instructor.isolation import StudentProcess
    from course_pkg.instructor.sandbox import prepare_state, sandbox_problem, student_launcher

    if sandbox_problem() is not None:
        pytest.skip(f"no sandbox here: {sandbox_problem()}")
    probe = ("import os\ndef who():\n    return np.array([os.getuid(), "
             f"os.path.exists({str(pathlib.Path(__file__))!r})])\n")
    with StudentProcess(["import numpy as np\n" + probe],
                        launcher=student_launcher()) as proc:
        uid, sees_repo = proc.function("who")()
    assert uid != 0 and not sees_repo
    state, ipc = tmp_path / "state", tmp_path / "state" / "ipc"
    (state / "submission").mkdir(parents=True)
    ipc.mkdir()
    from course_pkg.instructor.sandbox import SandboxPolicy

    prepare_state(str(state), str(ipc), SandboxPolicy())
    assert "student:x:" in (state / "etc" / "passwd").read_text()


def test_a_huge_printout_of_a_test_is_clipped():
    """06 prints what the student's gradient check returns: its size is bounded."""
    nb = source("06_lstm_backward")
    body = ("class Huge(dict):\n    ok = True\n"
            "return check_gradients(lambda: 0.0, {}, {}) or Huge({str(k): 0.0 for k in "
            "range(100_000)})")
    sub = with_solution(nb, "gradient_check", body)
    by_id = {r.grade_id: r for r in grade_submission(nb, sub)}
    out = by_id["test_gradient_check_own_backward"].output
    assert len(out) < 25_000 and "output truncated by the grader" in out
