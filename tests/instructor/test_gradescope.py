"""``course gradescope ID``: the autograder zip, run as Gradescope would run it.

The zip is unpacked into a temporary ``autograder/`` laid out like
Gradescope's (``source/``, ``submission/``, ``results/``,
``submission_metadata.json``) and ``run_autograder`` runs with
``AUTOGRADER_ROOT`` pointing there and ``AUTOGRADER_PYTHON`` set to this
interpreter (setup.sh's installs are not run: this environment has
everything; setup.sh is checked with ``bash -n`` and for its dependencies).
The scores must be those of ``course autograde``'s trusted grading
(:func:`~course_pkg.instructor.trusted.grade_submission` with the
student's variant), hidden tests ``after_published``, visible ones visible.
"""

from __future__ import annotations

import copy
import importlib.metadata
import json
import os
import pathlib
import subprocess
import sys
import zipfile

import pytest

from course_pkg import grading
from course_pkg.instructor import cli
from course_pkg.instructor.gradescope import find_submission, results_json, run
from course_pkg.instructor.trusted import grade_submission

AID = "01_forget_gate"
WRONG = "    return np.tanh(np.concatenate([h_prev, x], axis=1) @ W_f + b_f)\n"
META = {"users": [{"email": "Ana@Example.edu", "id": 1234, "name": "Ana", "sid": "ana01"}],
        "assignment": {"title": "Forget gate"}}


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """The zip, built by the command, and the notebooks inside it."""
    out = tmp_path_factory.mktemp("zip")
    code = cli.main(["--course-dir", str(out), "gradescope", AID, "--out", str(out)])
    assert code == 0
    path = out / f"{AID}_gradescope.zip"
    with zipfile.ZipFile(path) as zf:
        source = json.loads(zf.read(f"assignment/{AID}.ipynb"))
        released = json.loads(zf.read(f"assignment/{AID}.released.ipynb"))
    return path, source, released


def _submission(source: dict, released: dict, wrong: bool = False) -> dict:
    """What a student hands in: the released notebook with the solution cell filled in."""
    nb = copy.deepcopy(released)
    solutions = {c["metadata"]["nbgrader"]["grade_id"]: c["source"] for c in source["cells"]
                 if c["metadata"].get("nbgrader", {}).get("solution")}
    for cell in nb["cells"]:
        gid = cell["metadata"].get("nbgrader", {}).get("grade_id")
        if gid in solutions:
            src = "".join(solutions[gid])
            if wrong:
                start, end = src.index("### BEGIN SOLUTION"), src.index("### END SOLUTION")
                src = src[:start] + "### BEGIN SOLUTION\n" + WRONG + "    " + src[end:]
            cell["source"] = src
    return nb


def _layout(tmp: pathlib.Path, zip_path: pathlib.Path, files: dict[str, object],
            meta: dict | None = META) -> pathlib.Path:
    root = tmp / "autograder"
    (root / "source").mkdir(parents=True)
    (root / "submission").mkdir()
    (root / "results").mkdir()
    with zipfile.ZipFile(zip_path) as zf:
        zf.extractall(root / "source")
    for name, content in files.items():
        path = root / "submission" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content if isinstance(content, str) else json.dumps(content))
    if meta is not None:
        (root / "submission_metadata.json").write_text(json.dumps(meta))
    return root


def _run_autograder(root: pathlib.Path) -> dict:
    env = {**os.environ, "AUTOGRADER_ROOT": str(root), "AUTOGRADER_PYTHON": sys.executable}
    proc = subprocess.run(["bash", str(root / "source" / "run_autograder")], env=env,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    return json.loads((root / "results" / "results.json").read_text())


def _hidden_ids(source: dict) -> set[str]:
    return {c["metadata"]["nbgrader"]["grade_id"] for c in source["cells"]
            if "### BEGIN HIDDEN TESTS" in "".join(c["source"])}


def test_zip_has_what_gradescope_needs(built):
    path, source, _ = built
    with zipfile.ZipFile(path) as zf:
        names = set(zf.namelist())
        modes = {i.filename: i.external_attr >> 16 for i in zf.infolist()}
        setup = zf.read("setup.sh").decode()
        requirements = zf.read("requirements.txt").decode()
        config = json.loads(zf.read("gradescope.json"))
    assert {"setup.sh", "run_autograder", "requirements.txt", "gradescope.json",
            "python/course_pkg/instructor/trusted.py",
            "python/course_pkg/grading/_core.py"} <= names
    assert not any("__pycache__" in n for n in names)
    assert modes["run_autograder"] & 0o111 and modes["setup.sh"] & 0o111
    assert config["assignment"] == AID and config["variants"] is True
    for dist in ("numpy", "ipython", "nbgrader"):
        assert f"{dist}=={importlib.metadata.version(dist)}" in requirements.splitlines()
    assert "-r \"$ROOT/source/requirements.txt\"" in setup and "bubblewrap" in setup
    with zipfile.ZipFile(path) as zf:
        for script in ("setup.sh", "run_autograder"):
            check = subprocess.run(["bash", "-n"], input=zf.read(script), capture_output=True)
            assert check.returncode == 0, (script, check.stderr)
    assert _hidden_ids(source)


@pytest.mark.parametrize("wrong", [False, True], ids=["honest", "wrong"])
def test_run_autograder_matches_trusted_grading(built, tmp_path, wrong):
    """The honest notebook through the real script (under another name, next to a
    checkpoint and a scratch notebook); the wrong one through the same Python entry."""
    path, source, released = built
    submitted = _submission(source, released, wrong)
    if wrong:
        root = _layout(tmp_path, path, {f"{AID}.ipynb": submitted})
        assert run(root) == 0
        data = json.loads((root / "results" / "results.json").read_text())
    else:
        root = _layout(tmp_path, path, {"my work (final).ipynb": submitted,
                                        "notes/scratch.ipynb": {"cells": [], "nbformat": 4},
                                        ".ipynb_checkpoints/x-checkpoint.ipynb": submitted})
        data = _run_autograder(root)
        assert "my work (final).ipynb" in data["output"]
    variant = grading.variant("ana01", AID)
    expected = grade_submission(source, submitted, released=released, variant=variant)
    total = sum(r.max_score for r in expected)
    assert [t["extra_data"]["grade_id"] for t in data["tests"]] == [r.grade_id for r in expected]
    assert [t["score"] for t in data["tests"]] == [r.score for r in expected]
    assert data["score"] == sum(r.score for r in expected)
    assert (data["score"] == total) == (not wrong)
    hidden = _hidden_ids(source)
    for test, r in zip(data["tests"], expected):
        assert set(test) >= {"name", "score", "max_score", "output", "visibility", "status"}
        assert test["max_score"] == r.max_score and test["name"].startswith(r.grade_id)
        assert test["visibility"] == ("after_published" if r.grade_id in hidden else "visible")
        assert test["status"] == ("passed" if r.status == "passed" else "failed")
        if r.grade_id in hidden:
            assert f"variant {variant.id}" in test["output"]
    assert f"variant {variant.id}" in data["output"]
    assert data["stdout_visibility"] == "hidden" and isinstance(data["execution_time"], int)
    if wrong:
        failed = [t for t in data["tests"] if t["status"] == "failed"]
        assert failed and all("sigmoid" in t["output"] for t in failed)


@pytest.mark.parametrize("files, says", [
    ({}, "No notebook"),
    ({f"{AID}.ipynb": "{ not json"}, "not a readable notebook"),
    ({"a.ipynb": {"cells": []}, "b.ipynb": {"cells": []}}, "Several notebooks"),
], ids=["none", "broken", "ambiguous"])
def test_bad_submissions_get_a_clear_message_and_zero(built, tmp_path, files, says):
    path, _, _ = built
    root = _layout(tmp_path, path, files)
    assert run(root) == 0
    data = json.loads((root / "results" / "results.json").read_text())
    assert data["score"] == 0 and data["tests"] == [] and says in data["output"]
    for name in files:  # nothing deleted
        assert (root / "submission" / name).exists()


def test_missing_metadata_falls_back_to_fixed_seeds(built, tmp_path):
    path, source, released = built
    root = _layout(tmp_path, path, {f"{AID}.ipynb": _submission(source, released)}, meta=None)
    assert run(root) == 0
    data = json.loads((root / "results" / "results.json").read_text())
    assert "fixed inputs" in data["output"] and data["score"] > 0


def test_uninstalled_autograder_says_so(built, tmp_path):
    path, _, _ = built
    root = _layout(tmp_path, path, {})
    env = {**os.environ, "AUTOGRADER_ROOT": str(root),
           "AUTOGRADER_PYTHON": str(tmp_path / "no-python")}
    proc = subprocess.run(["bash", str(root / "source" / "run_autograder")], env=env,
                          capture_output=True, text=True)
    assert proc.returncode == 1
    data = json.loads((root / "results" / "results.json").read_text())
    assert data["score"] == 0 and "setup.sh" in data["output"]


def test_command_refuses_bad_input(built, tmp_path, capsys):
    path, _, _ = built
    args = ["--course-dir", str(tmp_path), "gradescope"]
    assert cli.main([*args, AID, "--out", str(path)]) == 2
    assert "--force" in capsys.readouterr().err
    assert cli.main([*args, "99_nothing", "--out", str(tmp_path)]) == 2
    assert "Known assignments" in capsys.readouterr().err
    assert cli.main([*args, AID, "--out", str(tmp_path / "missing" / "x.zip")]) == 2
    assert cli.main([*args, AID, "--timeout", "0", "--out", str(tmp_path)]) == 2
    assert not list(tmp_path.glob("*.zip"))


def test_find_submission_and_results_json_directly(tmp_path):
    (tmp_path / "x.ipynb").write_text("{}")
    found, note = find_submission(tmp_path, AID, set())
    assert found == tmp_path / "x.ipynb" and "only notebook" in note
    data = results_json([], {"cells": []})
    assert data["score"] == 0 and data["tests"] == []


def test_build_zip_and_the_lazy_commands(tmp_path):
    from course_pkg.instructor import gradescope, report
    from course_pkg.instructor.coursedir import packaged_assignments

    assert cli.cmd_gradescope.resolve() is gradescope.cmd_gradescope
    assert cli.cmd_report.resolve() is report.cmd_report
    out = tmp_path / "a.zip"
    names = gradescope.build_zip(packaged_assignments() / AID / f"{AID}.ipynb", AID, out,
                                 variants=False, salt="s3cret")
    with zipfile.ZipFile(out) as zf:
        config = json.loads(zf.read("gradescope.json"))
    assert config["variants"] is False and config["salt"] == "s3cret"
    assert set(names) >= {"setup.sh", "run_autograder"}
