"""Helpers of the grading-at-scale tests (fixtures in conftest.py): a class of students."""

from __future__ import annotations

import json
import pathlib
import socket
import subprocess
import sys

AID = "01_forget_gate"
RIGHT = "return sigmoid(np.concatenate([h_prev, x], axis=1) @ W_f + b_f)"
WRONG = "return np.tanh(np.concatenate([h_prev, x], axis=1) @ W_f + b_f)"
#: An adversarial student: a wrong answer and a fork bomb (RLIMIT_NPROC stops it).
FORK_BOMB = "import os\nkids = [os.fork() for _ in range(300)]\n"


def course(*argv, check=True, env=None):
    """Run the ``course`` command in a subprocess; its CompletedProcess."""
    cmd = [sys.executable, "-m", "course_pkg.instructor.cli", *map(str, argv)]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=900, env=env)
    if check and proc.returncode != 0:
        raise AssertionError(f"{cmd} failed:\n{proc.stdout}\n{proc.stderr}")
    return proc


def notebook(released: dict, body: str, extra: str | None = None) -> dict:
    """The released notebook with the forget gate's body (and an extra cell)."""
    nb = json.loads(json.dumps(released))
    for cell in nb["cells"]:
        if cell["metadata"].get("nbgrader", {}).get("grade_id") == "forget_gate":
            cell["source"] = "".join(cell["source"]).replace(
                "# YOUR CODE HERE\n    raise NotImplementedError()", body)
    if extra is not None:
        nb["cells"].append({"cell_type": "code", "metadata": {}, "outputs": [],
                            "execution_count": None, "source": extra})
    return nb


def collect(course_dir: pathlib.Path, subs: pathlib.Path, students: dict) -> None:
    """Write ``{name: (body, extra)}`` as submissions under ``subs`` and collect them."""
    released = json.loads((course_dir / "release" / AID / f"{AID}.ipynb").read_text())
    for name, (body, extra) in students.items():
        path = subs / name / AID / f"{AID}.ipynb"
        path.parent.mkdir(parents=True)
        path.write_text(json.dumps(notebook(released, body, extra)))
    course("--course-dir", course_dir, "collect", AID, subs)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


