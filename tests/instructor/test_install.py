"""A non-editable install works on its own: the `course` command finds its assignments.

The package is installed with ``pip install --no-deps --target DIR`` (no
editable link back to the repository), then used from a folder outside the
repository with ``PYTHONPATH=DIR``: ``course --help``, ``course init`` and
``course release 01_forget_gate`` (real nbgrader) must work from the
installed files alone.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def installed(tmp_path_factory, root):
    base = tmp_path_factory.mktemp("install")
    src = base / "src"  # a copy, so that the build leaves nothing in the worktree
    src.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(root / name, src / name)
    shutil.copytree(root / "course_pkg", src / "course_pkg",
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    site = base / "site"
    proc = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation",
         "--no-index", "--target", str(site), str(src)],
        capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    shutil.rmtree(src)  # nothing may point back at the copy either
    work = base / "elsewhere"
    work.mkdir()
    env = {**os.environ, "PYTHONPATH": str(site)}
    env.pop("COURSE_DIR", None)
    return site, work, env


def _run(argv, work, env):
    return subprocess.run(argv, cwd=work, env=env, capture_output=True, text=True, timeout=600)


def test_installed_package_is_the_one_imported(installed, root):
    site, work, env = installed
    proc = _run([sys.executable, "-c", "import course_pkg.instructor.cli as m; print(m.__file__)"],
                work, env)
    assert proc.returncode == 0, proc.stderr
    path = proc.stdout.strip()
    assert path.startswith(str(site)) and not path.startswith(str(root))
    notebooks = sorted(site.glob("course_pkg/instructor/data/assignments/*/*.ipynb"))
    assert len(notebooks) == 9
    assert (site / "course_pkg" / "data" / "exam_season.txt").is_file()  # assignment 09's text


def test_course_command_releases_from_the_installed_assignments(installed):
    site, work, env = installed
    course = site / "bin" / "course"
    assert course.exists(), "the console script `course` was not installed"
    proc = _run([str(course), "--help"], work, env)
    assert proc.returncode == 0 and "export-student" in proc.stdout, proc.stderr
    proc = _run([str(course), "init", str(work / "c")], work, env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "9 assignments" in proc.stdout
    assert (work / "c" / "source").resolve() == (
        site / "course_pkg" / "instructor" / "data" / "assignments").resolve()
    proc = _run([str(course), "--course-dir", str(work / "c"), "release", "01_forget_gate"],
                work, env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    release = work / "c" / "release" / "01_forget_gate"
    assert sorted(p.name for p in release.iterdir()) == ["01_forget_gate.ipynb"]
    text = (release / "01_forget_gate.ipynb").read_text()
    assert "BEGIN SOLUTION" not in text and "make assignments" not in text
    proc = _run([str(course), "export-student", "--out", str(work / "student")], work, env)
    assert proc.returncode == 0, proc.stderr
    assert len(list((work / "student").glob("*.ipynb"))) == 9
