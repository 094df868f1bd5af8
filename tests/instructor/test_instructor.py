"""The instructor package: one module per concept, wired together by the CLI.

The commands themselves are tested end to end in ``test_cli.py``; here the
dispatch and the small building blocks of each module.
"""

from __future__ import annotations

import argparse
import pathlib
import subprocess
import sys

import nbformat
import pytest

from course_pkg.instructor import (
    cli,
    collect,
    coursedir,
    export,
    nbgrader_driver,
    release,
    selfcheck,
    student_export,
)
from course_pkg.instructor.errors import CourseError
from course_pkg.instructor.nbconfig import BANNER_ID, GENERATE_PREPROCESSORS
from course_pkg.instructor.notebooks import RemoveBanner, remove_banner, student_version


@pytest.mark.parametrize(("argv", "func"), [
    (["init", "DIR"], coursedir.cmd_init),
    (["release", "01_forget_gate"], release.cmd_release),
    (["collect", "01_forget_gate", "subs.zip"], collect.cmd_collect),
    (["autograde", "01_forget_gate"], nbgrader_driver.cmd_autograde),
    (["feedback", "01_forget_gate"], nbgrader_driver.cmd_feedback),
    (["export", "--csv", "grades.csv"], export.cmd_export),
    (["check", "nb.ipynb"], selfcheck.cmd_check),
    (["export-student", "--out", "DIR"], student_export.cmd_export_student),
])
def test_each_command_dispatches_to_the_module_of_its_concept(argv, func):
    assert cli.build_parser().parse_args(argv).func.resolve() is func


def test_the_parser_loads_no_heavy_module():
    """`course --help` answers at once: nbformat and nbgrader load only when a command runs."""
    code = ("import sys\nfrom course_pkg.instructor import cli\n"
            "cli.build_parser().parse_args(['check', 'x.ipynb'])\n"
            "heavy = [m for m in ('nbformat', 'nbgrader', 'nbclient', 'numpy', 'jupyter_client')"
            " if m in sys.modules]\nprint(heavy)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == "[]"


def test_packaged_assignments_are_inside_the_package():
    src = coursedir.packaged_assignments()
    pkg = pathlib.Path(coursedir.__file__).resolve().parent
    assert pkg in src.parents
    assert sorted(p.name for p in src.glob("*/*.ipynb")) == sorted(
        f"{p.name}.ipynb" for p in src.iterdir() if p.is_dir())


def test_enclosing_repository(tmp_path, root):
    assert coursedir.enclosing_repository(root / "not" / "yet" / "there") == root
    assert coursedir.enclosing_repository(tmp_path / "course") is None
    (tmp_path / "repo" / ".git").mkdir(parents=True)
    assert coursedir.enclosing_repository(tmp_path / "repo" / "c") == tmp_path / "repo"


def test_course_directory_helpers(tmp_path):
    course = tmp_path / "c"
    assert cli.main(["init", str(course)]) == 0
    args = argparse.Namespace(course_dir=str(course))
    assert coursedir.course_root(args) == course.resolve()
    assert coursedir.source_dir(course) == course / "source"
    nb = coursedir.check_assignment(course, "07_gru")
    assert nb == course / "source" / "07_gru" / "07_gru.ipynb" and nb.exists()
    with pytest.raises(CourseError, match="not a valid assignment id"):
        coursedir.check_assignment(course, "../etc")
    assert coursedir.submissions(course, "07_gru") == []
    (course / "submitted" / "ana" / "07_gru").mkdir(parents=True)
    assert coursedir.submissions(course, "07_gru") == []  # empty folder: not a submission
    (course / "submitted" / "ana" / "07_gru" / "07_gru.ipynb").write_text("{}")
    assert coursedir.submissions(course, "07_gru") == ["ana"]
    with pytest.raises(CourseError, match="not a course directory"):
        coursedir.course_root(argparse.Namespace(course_dir=str(tmp_path)))


def test_nbgrader_failure_quotes_the_error_lines():
    err = nbgrader_driver.nbgrader_failure("autograde", ["[INFO] fine", "[ERROR] bad cell"])
    assert isinstance(err, CourseError)
    assert "nbgrader autograde failed" in str(err) and "bad cell" in str(err)
    assert "fine" not in str(err)


def test_run_nbgrader_runs_this_environments_nbgrader(tmp_path):
    code, lines = nbgrader_driver.run_nbgrader(tmp_path, "--version")
    assert code == 0 and any("nbgrader version" in ln for ln in lines)


def test_banner_is_removed_from_student_versions(root):
    nb = nbformat.v4.new_notebook()
    banner = nbformat.v4.new_markdown_cell("generated: edit the .py")
    banner.id = BANNER_ID
    nb.cells = [banner, nbformat.v4.new_markdown_cell("# Title")]
    as_nbgrader_runs_it, _ = RemoveBanner()(nbformat.from_dict(nb), {})
    assert [c.source for c in as_nbgrader_runs_it.cells] == ["# Title"]
    assert [c.source for c in remove_banner(nb).cells] == ["# Title"]
    assert GENERATE_PREPROCESSORS[0].endswith("notebooks.RemoveBanner")
    released = student_version(nbformat.read(
        coursedir.packaged_assignments() / "01_forget_gate" / "01_forget_gate.ipynb", 4))
    assert BANNER_ID not in {c.id for c in released.cells}
