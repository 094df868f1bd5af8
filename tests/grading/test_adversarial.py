"""Adversarial students, graded through the real ``course`` workflow.

Every attack that used to earn marks it did not deserve is a student here:
a wrong forget gate (tanh for sigmoid) plus the attack in an extra cell.
Through ``course collect`` / ``autograde`` / ``feedback`` / ``export``, with
the sandbox on:

* every attacker scores at most what the same wrong answer scores alone;
* the honest student scores full marks, and so does the control student
  (the same honest notebook, graded after every attacker);
* the course directory, the package and the machine are unchanged: the
  gradebook is intact, no file was written outside the sandbox, no
  connection reached the test's listener, no process was left behind, no
  autograded notebook is larger than a few hundred KB;
* the feedback never shows a hidden test, and names the reason of every
  timeout and crash.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import pathlib
import socket
import subprocess
import sys
import threading

import pytest

import course_pkg
from course_pkg.instructor.coursedir import packaged_assignments
from course_pkg.instructor.sandbox import sandbox_problem

PROBLEM = sandbox_problem()
pytestmark = [
    pytest.mark.nbgrader, pytest.mark.slow,
    # the attacks are meant to fail because of the sandbox: without it they are no test
    # (COURSE_REQUIRE_SANDBOX=1, set by .ci/run, turns the skip into a failure)
    pytest.mark.skipif(PROBLEM is not None and os.environ.get("COURSE_REQUIRE_SANDBOX") != "1",
                       reason=f"no sandbox here: {PROBLEM}"),
]

AID = "01_forget_gate"
WRONG = "return np.tanh(np.concatenate([h_prev, x], axis=1) @ W_f + b_f)"
MARKER = "course-adversarial-daemon-7f3a"
PKG = pathlib.Path(course_pkg.__file__).resolve().parent


def course(*argv, check=True):
    cmd = [sys.executable, "-m", "course_pkg.instructor.cli", *map(str, argv)]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=1200)
    if check and proc.returncode != 0:
        raise AssertionError(f"{cmd} failed:\n{proc.stdout}\n{proc.stderr}")
    return proc


def attacks(course_dir: pathlib.Path, port: int) -> dict[str, str]:
    """Student name -> the attack cell."""
    source_nb = packaged_assignments() / AID / f"{AID}.ipynb"
    return {
        "numpy-testing": "import numpy.testing\nnumpy.testing.assert_allclose = "
                         "lambda *a, **k: None\nnp.allclose = lambda *a, **k: True\n",
        "grading-helpers": "from course_pkg import grading\n"
                           "grading.check_known = grading.check_reference = lambda *a, **k: 0\n",
        "always-equal": "class Eq:\n    def __eq__(self, other):\n        return True\n"
                        "forget_gate = lambda *args: Eq()\n",
        "print-results": "print('test_forget_gate_random: passed, 9/9')\n",
        "swallow": "import sys\nsys.excepthook = lambda *a: None\n",
        "import-reference": "from course_pkg.lstm_gates import forget_gate\n",
        "import-catalogue": "from course_pkg.grading.gates import gate_mistakes\n",
        "read-reference-file": f"exec(open({str(PKG / 'lstm_gates.py')!r}).read())\n",
        "read-other-students": f"print(os.listdir({str(course_dir / 'autograded')!r}))\n",
        "read-hidden-tests": f"print(open({str(source_nb)!r}).read())\n",
        "write-gradebook": f"open({str(course_dir / 'gradebook.db')!r}, 'w').write('x')\n",
        "write-package": f"open({str(PKG / 'grading' / '_core.py')!r}, 'a')"
                         ".write('\\nRTOL = 1e9\\n')\n",
        "network": f"import socket\nsocket.create_connection(('127.0.0.1', {port}), 2)"
                   ".sendall(b'leak')\n",
        "daemon": "if os.fork() == 0:\n    os.setsid()\n    if os.fork() == 0:\n"
                  f"        os.execvp('sleep', ['sleep', '600', '{MARKER}'])\n    os._exit(0)\n",
        "memory": "big = np.ones(2**30)\n",
        "processes": "kids = [os.fork() for _ in range(300)]\n",
        "disk": "with open('/tmp/big', 'wb') as fh:\n    fh.write(b'0' * 2**31)\n",
        "output": "print('x' * 200 * 2**20)\n",
        "exit-at-load": "os._exit(1)\n",
        "ipython-history": "print(get_ipython().history_manager.input_hist_raw)\n",
        "sigint-immune-loop": "import signal\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\n"
                              "while True:\n    pass\n",
    }


def _notebook(released: dict, body: str, extra: str | None) -> dict:
    nb = json.loads(json.dumps(released))
    for cell in nb["cells"]:
        if cell["metadata"].get("nbgrader", {}).get("grade_id") == AID.split("_", 1)[1]:
            src = "".join(cell["source"])
            cell["source"] = src.replace("# YOUR CODE HERE\n    raise NotImplementedError()",
                                         body)
    if extra is not None:
        nb["cells"].append({"cell_type": "code", "metadata": {}, "outputs": [],
                            "execution_count": None, "source": "import os\n" + extra})
    return nb


def _listener():
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    server.settimeout(0.2)
    got = []
    stop = threading.Event()

    def accept():
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except OSError:
                continue
            got.append(conn.recv(100))
            conn.close()

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    return server, got, stop


def _digest(path: pathlib.Path) -> str:
    h = hashlib.sha256()
    for p in sorted(path.rglob("*.py")):
        h.update(p.read_bytes())
    return h.hexdigest()


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    base = tmp_path_factory.mktemp("adversarial")
    course_dir = base / "course"
    course("init", course_dir)
    os.environ["COURSE_DIR"] = str(course_dir)
    server, got, stop = _listener()
    package_before = _digest(PKG)
    try:
        course("release", AID)
        released = json.loads((course_dir / "release" / AID / f"{AID}.ipynb").read_text())
        right = "return sigmoid(np.concatenate([h_prev, x], axis=1) @ W_f + b_f)"
        subs = base / "subs"
        students = {"honest": (right, None), "wrong": (WRONG, None)}
        students.update({name: (WRONG, code) for name, code in
                         attacks(course_dir, server.getsockname()[1]).items()})
        students["zz-control"] = (right, None)  # graded last (alphabetical order)
        for name, (body, extra) in students.items():
            path = subs / name / AID / f"{AID}.ipynb"
            path.parent.mkdir(parents=True)
            path.write_text(json.dumps(_notebook(released, body, extra)))
        course("collect", AID, subs)
        # a notebook that is not one (collect refuses those: put it in place by hand)
        corrupt = course_dir / "submitted" / "corrupt" / AID / f"{AID}.ipynb"
        corrupt.parent.mkdir(parents=True)
        corrupt.write_text('{"cells": [')
        gradebook_size = (course_dir / "gradebook.db").stat().st_size
        result = course("autograde", AID, "--timeout", "3")
        course("feedback", AID)
        course("export", "--csv", base / "grades.csv")
    finally:
        os.environ.pop("COURSE_DIR", None)
        stop.set()
        server.close()
    with open(base / "grades.csv", newline="") as fh:
        scores = {r["student_id"]: float(r["score"]) for r in csv.DictReader(fh)
                  if r["assignment"] == AID and r["timestamp"]}
    return {"course": course_dir, "scores": scores, "got": got, "out": result.stdout,
            "students": students, "package_before": package_before,
            "gradebook_size": gradebook_size}


def test_honest_and_control_students_score_full(graded):
    scores = graded["scores"]
    assert scores["honest"] == scores["zz-control"] == 9


def test_no_attack_scores_more_than_the_wrong_answer(graded):
    scores = graded["scores"]
    assert 0 < scores["wrong"] < 9
    cheats = {name: scores[name] for name in graded["students"]
              if name not in ("honest", "wrong", "zz-control") and scores[name] > scores["wrong"]}
    assert not cheats, cheats
    assert set(scores) == set(graded["students"])  # every student has a definite score


def test_the_machine_is_unchanged(graded):
    assert graded["got"] == []  # nobody reached the listener
    assert _digest(PKG) == graded["package_before"]
    survivors = []
    for proc in pathlib.Path("/proc").iterdir():
        try:
            if MARKER in (proc / "cmdline").read_bytes().decode(errors="replace"):
                survivors.append(proc.name)
        except OSError:
            continue
    assert not survivors
    for nb in (graded["course"] / "autograded").rglob("*.ipynb"):
        assert nb.stat().st_size < 500_000, nb


def test_summary_names_timeouts_and_crashes(graded):
    out = graded["out"]
    assert "timeout" in out and "sigint-immune-loop" in out
    assert "crashed" in out and "exit-at-load" in out


def test_an_unreadable_notebook_scores_zero_and_is_kept(graded):
    out = graded["out"]
    assert "unreadable notebook: 1 student(s): corrupt" in out
    kept = graded["course"] / "submitted" / "corrupt" / AID / f"{AID}.ipynb.unreadable"
    assert kept.read_text() == '{"cells": ['


def test_feedback_hides_hidden_tests_and_explains(graded):
    feedback = graded["course"] / "feedback"
    for html in feedback.rglob("*.html"):
        text = html.read_text()
        assert "check_reference(forget_gate" not in text, html  # a hidden test
    loop = next((feedback / "sigint-immune-loop").rglob("*.html")).read_text()
    assert "did not return" in loop
